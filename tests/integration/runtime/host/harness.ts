import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../../src/config/index.js';
import type { AtolyeConfig } from '../../../../src/config/schema.js';
import { Limits } from '../../../../src/runtime/contract.js';
import { createLogging, type Logging } from '../../../../src/logging/index.js';
import type { ChannelLogger, LogContext, LogRecord } from '../../../../src/logging/record.js';
import {
  FunctionPool,
  hostLogger,
  type HostInvokeFailure,
  type HostInvokeOutcome,
  type HostInvokeSuccess,
  type HostLogger,
  type PoolDeps,
  type PoolSpec,
} from '../../../../src/runtime/host/index.js';
import { bundleFunction } from '../../../helpers/function-bundle.js';

/** The fixture functions the host tests run, bundled once per test file. */
export const SOURCES = {
  echo: 'functions/echo/index.ts',
  sleepy: 'tests/fixtures/functions/sleepy/index.ts',
  broken: 'tests/fixtures/functions/broken/index.ts',
  hog: 'tests/fixtures/functions/hog/index.ts',
} as const;
export type FixtureName = keyof typeof SOURCES;

export const STAMP = { env: 'testing', release: 'test-release' };

export async function bundleFixtures<N extends FixtureName>(
  names: N[],
  outDir: string,
): Promise<Record<N, string>> {
  const built = await Promise.all(
    names.map(async (name) => [name, await bundleFunction(SOURCES[name], outDir)] as const),
  );
  return Object.fromEntries(built) as Record<N, string>;
}

export function poolSpec(
  name: string,
  bundlePath: string,
  limits: Partial<Limits> = {},
  secrets: string[] = [],
): PoolSpec {
  return { name, version: `${name}-v1`, bundlePath, limits: Limits.parse(limits), secrets };
}

/** Pools made by a test, drained after it so no worker outlives the test. */
export class PoolSet {
  private readonly pools: FunctionPool[] = [];

  constructor(private readonly defaults: Omit<PoolDeps, 'stamp'> = {}) {}

  make(spec: PoolSpec, deps: Omit<PoolDeps, 'stamp'> = {}): FunctionPool {
    const pool = new FunctionPool(spec, {
      stamp: STAMP,
      startTimeoutMs: 5_000,
      stopGraceMs: 500,
      ...this.defaults,
      ...deps,
    });
    this.pools.push(pool);
    return pool;
  }

  async drainAll(): Promise<void> {
    await Promise.all(this.pools.splice(0).map((pool) => pool.drain()));
  }
}

/** The outcome of a call that should have succeeded; a test failure naming the error otherwise. */
export function asSuccess(result: HostInvokeOutcome): HostInvokeSuccess {
  if (!result.ok)
    throw new Error(`expected success, got ${result.status} ${JSON.stringify(result.error)}`);
  return result;
}

/** The outcome of a call that should have failed; a test failure naming the output otherwise. */
export function asFailure(result: HostInvokeOutcome): HostInvokeFailure {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.output)}`);
  return result;
}

/** The testing configuration with logs in `logDir`. */
export function testConfig(logDir: string): AtolyeConfig {
  return loadConfig({ env: 'testing', overrides: { 'logging.dir': logDir } }).config;
}

/** Real logging into `logDir`: the four channel files, as the host writes them. */
export function fileLogging(logDir: string): {
  logging: Logging;
  logger: HostLogger;
  config: AtolyeConfig;
} {
  const config = testConfig(logDir);
  const logging = createLogging(config, { service: 'host', release: STAMP.release });
  return { logging, logger: hostLogger(logging, { level: config.logging.level }), config };
}

/** The records of one channel file so far. */
export function readChannel(logDir: string, channel: string): Record<string, unknown>[] {
  const file = path.join(logDir, `${channel}.log`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface RecordedLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
  context: LogContext;
}

/** A HostLogger that keeps what it was given, for tests that assert on individual lines. */
export function recordingLogger(): HostLogger & { lines: RecordedLine[]; records: LogRecord[] } {
  const lines: RecordedLine[] = [];
  const records: LogRecord[] = [];
  let context: LogContext = {};
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}): void =>
      void lines.push({ level, msg, fields, context });
  const system: ChannelLogger = {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  };
  return {
    lines,
    records,
    system,
    writeRecord: (record) => void records.push(record),
    withContext: (next, fn) => {
      const outer = context;
      context = { ...outer, ...next };
      try {
        return fn();
      } finally {
        context = outer;
      }
    },
  };
}
