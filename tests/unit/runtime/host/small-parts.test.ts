import { statfsSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Logging } from '../../../../src/logging/index.js';
import type { LogLevel, LogRecord } from '../../../../src/logging/record.js';
import { restartDelay } from '../../../../src/runtime/host/backoff.js';
import { Fifo } from '../../../../src/runtime/host/fifo.js';
import { hostLogger, silentLogger } from '../../../../src/runtime/host/log.js';
import { HostMetrics } from '../../../../src/runtime/host/metrics.js';
import { eachLine, LineTail } from '../../../../src/runtime/host/lines.js';
import { workerEnv } from '../../../../src/runtime/host/worker-env.js';
import { Registry } from '../../../../src/runtime/host/registry.js';
import { AtolyeError } from '../../../../src/errors.js';
import type { Pool } from '../../../../src/runtime/host/types.js';
import { tempDir } from '../../../helpers/tmp.js';

test('restart delays grow by the factor from initialMs and stop at maxMs; none before a failure', () => {
  const policy = { initialMs: 100, maxMs: 1_000, factor: 2 };
  expect([0, 1, 2, 3, 4, 5, 9].map((failures) => restartDelay(policy, failures))).toEqual([
    0, 100, 200, 400, 800, 1_000, 1_000,
  ]);
});

test('the fifo gives items back in order, also across its compaction', () => {
  const fifo = new Fifo<number>();
  for (let i = 0; i < 3_000; i += 1) fifo.push(i);
  const out: number[] = [];
  for (let i = 0; i < 2_500; i += 1) out.push(fifo.shift() as number);
  expect(out.slice(0, 3)).toEqual([0, 1, 2]);
  expect(out.at(-1)).toBe(2_499);
  expect(fifo.length).toBe(500);
  fifo.push(3_000);
  expect(fifo.drain()).toEqual([...Array.from({ length: 500 }, (_, i) => 2_500 + i), 3_000]);
  expect(fifo.length).toBe(0);
  expect(fifo.shift()).toBeUndefined();
});

test('eachLine splits chunks into lines, keeps the last unterminated one and skips blanks', async () => {
  const stream = new PassThrough();
  const lines: string[] = [];
  eachLine(stream, (line) => lines.push(line));
  stream.write('one\ntw');
  stream.write('o\r\n\n  \nthree');
  stream.end();
  await new Promise((resolve) => stream.on('end', resolve));
  expect(lines).toEqual(['one', 'two', 'three']);
});

test('eachLine cuts a line that never ends instead of buffering it', async () => {
  const stream = new PassThrough();
  const lines: string[] = [];
  eachLine(stream, (line) => lines.push(line));
  stream.end('x'.repeat(40_000));
  await new Promise((resolve) => stream.on('end', resolve));
  expect(lines.length).toBeGreaterThanOrEqual(1);
  expect(lines.every((line) => line.length <= 16_385)).toBe(true);
});

test('a line tail keeps the last lines and summarises a stack trace by its error line', () => {
  const tail = new LineTail(4);
  for (const line of [
    'file.ts:3',
    "  throw new Error('x')",
    'TypeError: cannot read x',
    '    at foo (file.ts:3)',
    'Node.js v20.20.2',
  ]) {
    tail.push(line);
  }
  expect(tail.all()).toHaveLength(4);
  expect(tail.last()).toBe('Node.js v20.20.2');
  expect(tail.summary()).toBe('TypeError: cannot read x');
  const plain = new LineTail();
  plain.push('something went wrong');
  plain.push('Node.js v20.20.2');
  expect(plain.summary()).toBe('something went wrong');
  expect(new LineTail().summary()).toBeUndefined();
  const oom = new LineTail();
  for (const line of [
    '<--- JS stacktrace --->',
    'FATAL ERROR: Reached heap limit',
    '----- Native stack trace -----',
    ' 1: 0xb78db3 node::OOMErrorHandler',
  ]) {
    oom.push(line);
  }
  expect(oom.summary()).toBe('FATAL ERROR: Reached heap limit');
  const frames = new LineTail();
  for (const line of [
    'the real reason',
    ' 2: 0xee8300 v8::Utils',
    '----- Native stack trace -----',
  ])
    frames.push(line);
  expect(frames.summary()).toBe('the real reason');
});

test('a worker environment holds the allow-list, the host identity and the declared secrets only', () => {
  const source = {
    PATH: '/bin',
    HOME: '/h',
    LANG: 'C',
    NODE_ENV: 'test',
    NODE_OPTIONS: '--inspect',
    ECHO_SECRET: 'e',
    OTHER_SECRET: 'o',
  };
  expect(
    workerEnv({
      secrets: ['ECHO_SECRET', 'MISSING_SECRET'],
      release: 'r1',
      environment: 'testing',
      source,
    }),
  ).toEqual({
    PATH: '/bin',
    HOME: '/h',
    LANG: 'C',
    NODE_ENV: 'test',
    ECHO_SECRET: 'e',
    ATOLYE_WORKER: 'ipc',
    ATOLYE_SETTINGS: '{}',
    ATOLYE_RELEASE: 'r1',
    ATOLYE_ENV: 'testing',
  });
  // Settings travel as JSON; the compile cache folder only when the host names one.
  const env = workerEnv({
    secrets: [],
    settings: { workspace: { root: '/srv/ws' } },
    compileCacheDir: '/data/compile-cache',
    release: 'r1',
    environment: 'testing',
    source,
  });
  expect(JSON.parse(env.ATOLYE_SETTINGS ?? '')).toEqual({ workspace: { root: '/srv/ws' } });
  expect(env.NODE_COMPILE_CACHE).toBe('/data/compile-cache');
  expect(env).not.toHaveProperty('ECHO_SECRET');
});

test('the registry swaps pools atomically and hands back the one it replaced', () => {
  const pool = (name: string, version: string) => ({ spec: { name, version } }) as unknown as Pool;
  const registry = new Registry();
  const blue = pool('echo', 'v1');
  const green = pool('echo', 'v2');
  expect(registry.swap('echo', blue)).toBeUndefined();
  expect(registry.swap('echo', green)).toBe(blue);
  expect(registry.get('echo')).toBe(green);
  expect(registry.names()).toEqual(['echo']);
  expect(registry.list()).toEqual([green]);
  expect(() => registry.swap('plan', green)).toThrow(AtolyeError);
  expect(registry.remove('echo')).toBe(green);
  expect(registry.remove('echo')).toBeUndefined();
  expect(registry.list()).toEqual([]);
});

describe('the host logger', () => {
  const records = (level: LogLevel | undefined): string[] => {
    const written: string[] = [];
    const logging = {
      log: () => silentLogger.system,
      writeRecord: (record: LogRecord) => void written.push(record.msg),
      close: () => Promise.resolve(),
    } as unknown as Logging;
    const host = hostLogger(logging, level === undefined ? {} : { level });
    for (const at of ['error', 'warn', 'info', 'debug'] as const) {
      host.writeRecord({ level: at, msg: at } as LogRecord);
    }
    return written;
  };

  it('writes the forwarded records at or above its level, every one by default', () => {
    expect(records('warn')).toEqual(['error', 'warn']);
    expect(records('info')).toEqual(['error', 'warn', 'info']);
    expect(records(undefined)).toEqual(['error', 'warn', 'info', 'debug']);
  });
});

test('the host reports the free bytes of its log folder’s file system, and nothing for a missing one', async () => {
  const root = tempDir('atolye-log-gauge-');
  try {
    const gauge = async (logDir: string): Promise<string | undefined> => {
      const metrics = new HostMetrics({ pools: () => [], processMetrics: false, logDir });
      return /^atolye_log_dir_free_bytes (\d+)$/m.exec(await metrics.text())?.[1];
    };
    const stats = statfsSync(root.dir);
    const free = Number(await gauge(root.dir));
    // Within a megabyte of what statfs says now: other processes write to this disk too.
    expect(Math.abs(free - stats.bavail * stats.bsize)).toBeLessThan(1024 * 1024);
    expect(free).toBeGreaterThan(stats.bavail);
    expect(await gauge(path.join(root.dir, 'missing'))).toBeUndefined();
  } finally {
    root.cleanup();
  }
});
