import {
  fork,
  spawn,
  type ChildProcess,
  type ForkOptions,
  type SpawnOptions,
} from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type AtolyeConfig } from '../../src/config/index.js';
import { resolveSettings, type SettingValues } from '../../src/config/settings.js';
import { createLogging, type Logging } from '../../src/logging/index.js';
import { buildFunctions, type Manifest } from '../../src/runtime/bundle/index.js';
import { Limits } from '../../src/runtime/contract.js';
import {
  createGateway,
  FunctionPool,
  hostLogger,
  Registry,
  type Gateway,
  type HostLogger,
  type PoolSpec,
} from '../../src/runtime/host/index.js';
import type { Figure } from './figures.js';

/** Shared by the benchmark's callers and the in-process host, as orchestrator and host share it. */
export const SECRET = 'bench-signing-secret';
export const STAMP = { env: 'testing', release: 'bench' };
/** The flags every worker gets (worker-process.ts), given to baseline children too for a fair start. */
export const WORKER_EXEC_ARGV = (memoryMb: number): string[] => [
  `--max-old-space-size=${memoryMb}`,
];

export interface BuiltDist {
  outDir: string;
  manifest: Manifest;
  /** The pool spec of a built function, with its declared limits changed by `limits`. */
  spec(name: string, limits?: Partial<Limits>): PoolSpec;
}

/** What every benchmark gets: its own temp folders, the build, and tracked child processes. */
export interface BenchContext {
  /** `--quick`: take fewer samples and rounds. */
  quick: boolean;
  /** A fresh folder under this run's temp folder. */
  dir(name: string): string;
  /** `functions/` built into a temp dist by buildFunctions, once per run. */
  dist(): Promise<BuiltDist>;
  /** fork/spawn whose child is killed at the end of the run if it is still alive. */
  fork(file: string, args: string[], options: ForkOptions): ChildProcess;
  spawn(command: string, args: string[], options: SpawnOptions): ChildProcess;
  /** A process this run caused but did not fork itself (a detached grandchild): killed at the end if alive. */
  adopt(pid: number): void;
  /** Something shared by several benchmarks, started once by `start` and closed at the end of the run. */
  shared<T extends { close(): Promise<void> }>(key: string, start: () => Promise<T>): Promise<T>;
}

export interface Harness extends BenchContext {
  /** Closes what `shared` started, then cleanup(). */
  close(): Promise<void>;
  /** Kills every child still running, removes the temp folder. */
  cleanup(): void;
}

export function createHarness(options: { quick?: boolean } = {}): Harness {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'atolye-bench-'));
  // The sandbox's user must be able to enter the workspaces under it (mkdtemp makes it 0700).
  chmodSync(tmp, 0o755);
  const children = new Set<ChildProcess>();
  const adopted = new Set<number>();
  const started = new Map<string, Promise<{ close(): Promise<void> }>>();
  let built: Promise<BuiltDist> | undefined;
  let counter = 0;
  const track = (child: ChildProcess): ChildProcess => {
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const killAll = (): void => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of adopted) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: nothing to end.
      }
    }
    adopted.clear();
  };
  process.once('exit', killAll);
  const harness: Harness = {
    quick: options.quick === true,
    dir(name) {
      counter += 1;
      const dir = path.join(tmp, `${String(counter).padStart(2, '0')}-${name}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    dist() {
      built ??= buildDist(harness.dir('dist'));
      return built;
    },
    fork: (file, args, options) => track(fork(file, args, options)),
    spawn: (command, args, options) => track(spawn(command, args, options)),
    adopt: (pid) => void adopted.add(pid),
    shared<T extends { close(): Promise<void> }>(key: string, start: () => Promise<T>) {
      let value = started.get(key);
      if (!value) {
        value = start();
        started.set(key, value);
      }
      return value as Promise<T>;
    },
    async close() {
      for (const [key, value] of [...started].reverse()) {
        started.delete(key);
        try {
          await withTimeout(
            value.then((item) => item.close()),
            60_000,
            `closing ${key}`,
          );
        } catch (error) {
          // A start that failed was reported by its benchmark; a close that fails is said here.
          console.error(
            `closing ${key}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      harness.cleanup();
    },
    cleanup() {
      killAll();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  return harness;
}

async function buildDist(outDir: string): Promise<BuiltDist> {
  const manifest = await buildFunctions({ outDir });
  return {
    outDir,
    manifest,
    spec(name, limits = {}) {
      const fn = manifest.functions.find((candidate) => candidate.name === name);
      if (!fn) throw new Error(`the build has no function "${name}"`);
      return {
        name: fn.name,
        version: fn.version,
        bundlePath: path.join(outDir, fn.entry),
        limits: Limits.parse({ ...fn.limits, ...limits }),
        secrets: fn.secrets,
        settings: fn.settings ?? [],
      };
    },
  };
}

/**
 * What a pool of the bench's build needs beside its logger, as the host gives it: the settings
 * its function declares, resolved from `config`, and Node's compile cache in `cacheDir`.
 */
export function workerDeps(
  spec: PoolSpec,
  config: AtolyeConfig,
  cacheDir: string,
): { stamp: typeof STAMP; settings: SettingValues; compileCacheDir: string } {
  return {
    stamp: STAMP,
    settings: resolveSettings(config, spec.settings ?? []),
    compileCacheDir: cacheDir,
  };
}

/** The testing configuration with production's log level, logging to `logDir`, signing on. */
export function benchConfig(logDir: string): AtolyeConfig {
  return loadConfig({
    env: 'testing',
    environ: {},
    overrides: { 'logging.dir': logDir, 'logging.level': 'info', 'security.signingSecret': SECRET },
  }).config;
}

export interface HostFixture {
  url: string;
  port: number;
  pool: FunctionPool;
  gateway: Gateway;
  logger: HostLogger;
  logDir: string;
  /** Closes the gateway (draining the pool: its workers exit) and the logging. */
  close(): Promise<void>;
}

/**
 * The worker host as startHost wires it (gateway + Registry + FunctionPool, real channel files,
 * signing on), in this process, on an ephemeral loopback port, serving one function.
 */
export async function startHostFixture(
  ctx: BenchContext,
  name: string,
  limits: Partial<Limits> = {},
): Promise<HostFixture> {
  const dist = await ctx.dist();
  const logDir = ctx.dir(`host-logs-${name}`);
  const config = benchConfig(logDir);
  const logging: Logging = createLogging(config, { service: 'host', release: STAMP.release });
  const logger = hostLogger(logging, { level: config.logging.level });
  const registry = new Registry();
  const spec = dist.spec(name, limits);
  const pool = new FunctionPool(spec, {
    ...workerDeps(spec, config, ctx.dir(`compile-cache-${name}`)),
    logger,
  });
  registry.swap(name, pool);
  await pool.start();
  const gateway = createGateway({ config, registry, logger });
  const address = await gateway.listen(0, '127.0.0.1');
  return {
    url: address.url,
    port: address.port,
    pool,
    gateway,
    logger,
    logDir,
    async close() {
      await gateway.close();
      await logging.close();
    },
  };
}

/** Rejects after `ms` with `message`, so no wait in a benchmark can hang the run. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`${message} (after ${ms} ms)`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** VmRSS of a process from /proc, in bytes; undefined where /proc is not available. */
export async function procRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc; undefined without /proc. */
export async function procCpuMs(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** One benchmark: run() measures and returns its figures (each with a baseline from the same run). */
export interface Benchmark {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchmarkOutcome>;
}

export interface BenchmarkOutcome {
  figures: Figure[];
  details: Record<string, unknown>;
}

/**
 * The steps that call the model (DESIGN.md's "model steps"): their targets are looser. Named here,
 * not read from the build, so the figures keep their meaning while bundles and secrets change.
 */
export const MODEL_STEPS: ReadonlySet<string> = new Set(['plan', 'act', 'review']);
export const stepKind = (name: string): 'model step' | 'tools-class' =>
  MODEL_STEPS.has(name) ? 'model step' : 'tools-class';
