import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogging } from '../../src/logging/index.js';
import { FunctionPool, hostLogger, type HostLogger } from '../../src/runtime/host/index.js';
import { baselinePlus, type Figure } from './figures.js';
import {
  benchConfig,
  STAMP,
  stepKind,
  withTimeout,
  WORKER_EXEC_ARGV,
  workerDeps,
  type BenchContext,
  type Benchmark,
} from './harness.js';
import { summarize, type Summary } from './stats.js';
import { exitOf } from '../helpers/processes.js';

/** DESIGN.md: tools-class functions ≤ the bare ESM fork + 30 ms, model steps ≤ it + 80 ms. */
const OVER_BASELINE_MS = { 'tools-class': 30, 'model step': 80 } as const;
const SAMPLE_MAX_MS = 15_000;
/** Inputs the known functions accept; any other function gets `{}`, and a 400 is still its first reply. */
const INPUTS: Record<string, unknown> = { echo: { message: 'hello' } };

/**
 * Cold start per function: a call arrives at a fresh pool (minWorkers 0), which forks a worker for
 * it; timed from pool.invoke to its reply. Baselines: `node -e 0` fork to exit, and a fork of an ESM
 * file that only sends one IPC message, to that message (the target's baseline). Samples are taken
 * in rounds (baselines, then every function), so a noisy neighbour slows all of them alike.
 */
export const coldStart: Benchmark = {
  name: 'cold-start',
  description: 'no warm worker → first reply, per function',
  async run(ctx) {
    const dist = await ctx.dist();
    const samples = ctx.quick ? 4 : 10;
    const dir = ctx.dir('cold-start');
    const config = benchConfig(path.join(dir, 'logs'));
    const cacheDir = path.join(dir, 'compile-cache');
    const logging = createLogging(config, { service: 'host', release: STAMP.release });
    const startMs: number[] = [];
    const logger = capturingStartMs(hostLogger(logging, { level: config.logging.level }), startMs);
    const emptyEsm = path.join(dir, 'first-message.mjs');
    writeFileSync(emptyEsm, "process.send('ready');\n");
    const nodeExit: number[] = [];
    const firstMessage: number[] = [];
    const perFunction = new Map<
      string,
      { total: number[]; workerStart: number[]; statuses: number[] }
    >();
    try {
      for (let sample = 0; sample < samples; sample += 1) {
        nodeExit.push(await timeNodeExit(ctx));
        firstMessage.push(await timeFirstMessage(ctx, emptyEsm));
        for (const fn of dist.manifest.functions) {
          const into = perFunction.get(fn.name) ?? { total: [], workerStart: [], statuses: [] };
          perFunction.set(fn.name, into);
          const spec = dist.spec(fn.name, { minWorkers: 0 });
          // One compile cache for the run, as a host keeps one: the first sample fills it.
          const pool = new FunctionPool(spec, { ...workerDeps(spec, config, cacheDir), logger });
          const seen = startMs.length;
          const started = performance.now();
          const result = await withTimeout(
            pool.invoke(INPUTS[fn.name] ?? {}),
            SAMPLE_MAX_MS,
            `cold call of ${fn.name}`,
          );
          into.total.push(performance.now() - started);
          if (!result.coldStart)
            throw new Error(`the call of ${fn.name} on a fresh pool was not a cold start`);
          if (!result.ok && result.status !== 400)
            throw new Error(`${fn.name} failed: ${result.error.message}`);
          into.statuses.push(result.ok ? 200 : result.status);
          if (startMs.length > seen) into.workerStart.push(startMs.at(-1) as number);
          await withTimeout(pool.drain(), SAMPLE_MAX_MS, `draining ${fn.name}`);
        }
      }
    } finally {
      await logging.close();
    }
    const nodeExitS = summarize(nodeExit);
    const firstMessageS = summarize(firstMessage);
    const figures: Figure[] = [
      { name: 'baseline: `node -e 0` fork → exit p50', value: nodeExitS.p50, unit: 'ms' },
      {
        name: 'baseline: fork ESM → first IPC message p50',
        value: firstMessageS.p50,
        unit: 'ms',
        note: 'a one-line ESM file that sends one message, with the worker flags (--max-old-space-size)',
      },
    ];
    const details: Record<string, unknown> = {
      samples,
      nodeExit: nodeExitS,
      firstMessage: firstMessageS,
      functions: {},
    };
    for (const fn of dist.manifest.functions) {
      const measured = perFunction.get(fn.name);
      if (!measured) continue;
      const total = summarize(measured.total);
      const workerStart = summarize(measured.workerStart);
      const kind = stepKind(fn.name);
      figures.push({
        name: `${fn.name} cold start p50 (${kind}, ${(fn.bytes / 1024).toFixed(0)} KiB)`,
        value: total.p50,
        unit: 'ms',
        baseline: { name: 'fork ESM → first message', value: firstMessageS.p50 },
        target: baselinePlus(firstMessageS.p50, OVER_BASELINE_MS[kind], 'ms'),
        note:
          `fork → ready p50 ${workerStart.p50.toFixed(1)} ms (the pool's "worker started" log), ` +
          `then the first call ${(total.p50 - workerStart.p50).toFixed(1)} ms; p90 ${total.p90.toFixed(1)} ms ` +
          `(baseline p90 ${firstMessageS.p90.toFixed(1)}); replies ${[...new Set(measured.statuses)].join('/')}`,
      });
      (details.functions as Record<string, { total: Summary; workerStart: Summary }>)[fn.name] = {
        total,
        workerStart,
      };
    }
    return { figures, details };
  },
};

/** A logger that notes each worker's fork → ready time, which the pool logs when a worker starts. */
function capturingStartMs(inner: HostLogger, into: number[]): HostLogger {
  const { system } = inner;
  return {
    ...inner,
    system: {
      ...system,
      info(msg, meta) {
        const startMs = meta?.startMs;
        if (typeof startMs === 'number' && msg.startsWith('worker of ')) into.push(startMs);
        system.info(msg, meta);
      },
    },
  };
}

async function timeNodeExit(ctx: BenchContext): Promise<number> {
  const started = performance.now();
  const child = ctx.spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: {} });
  await withTimeout(exitOf(child), SAMPLE_MAX_MS, '`node -e 0` did not exit');
  return performance.now() - started;
}

async function timeFirstMessage(ctx: BenchContext, file: string): Promise<number> {
  const started = performance.now();
  const child = ctx.fork(file, [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {},
    execArgv: WORKER_EXEC_ARGV(128),
  });
  await withTimeout(
    new Promise((resolve) => child.once('message', resolve)),
    SAMPLE_MAX_MS,
    'the ESM child sent nothing',
  );
  const elapsed = performance.now() - started;
  child.kill();
  await exitOf(child);
  return elapsed;
}
