import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HostInvokeOutcome } from '../../../../src/runtime/host/index.js';
import { tempDir } from '../../../helpers/tmp.js';
import {
  asFailure,
  asSuccess,
  bundleFixtures,
  PoolSet,
  poolSpec,
  recordingLogger,
} from './harness.js';
import { eventually, sleep } from '../../../helpers/eventually.js';
import { isAlive } from '../../../helpers/processes.js';

/**
 * FunctionPool against real worker processes: the serverless semantics callers rely on (warm
 * reuse, cold starts, timeouts, crashes, the queue, scale to zero, secrets, drain).
 */

const tmp = tempDir('atolye-pool-');
let bundles: Record<'echo' | 'sleepy' | 'broken' | 'hog', string>;
const logger = recordingLogger();
const pools = new PoolSet({ logger });

beforeAll(async () => {
  bundles = await bundleFixtures(['echo', 'sleepy', 'broken', 'hog'], tmp.dir);
});
afterEach(() => pools.drainAll());
afterAll(() => tmp.cleanup());

const echoOutput = (result: HostInvokeOutcome) =>
  asSuccess(result).output as {
    message: string;
    pid: number;
    invocations: number;
    envValue: string | null;
  };

test('reuses a warm worker (same pid, module state survives); only the first call is a cold start', async () => {
  const pool = pools.make(poolSpec('echo', bundles.echo));
  const first = await pool.invoke({ message: 'one' });
  const second = await pool.invoke({ message: 'two' });

  expect(asSuccess(first).coldStart).toBe(true);
  expect(asSuccess(second).coldStart).toBe(false);
  expect(echoOutput(first)).toMatchObject({
    message: 'one',
    invocations: 1,
    pid: asSuccess(first).worker,
  });
  expect(echoOutput(second)).toMatchObject({
    message: 'two',
    invocations: 2,
    pid: asSuccess(first).worker,
  });
  expect(pool.stats()).toMatchObject({
    invocations: 2,
    coldStarts: 1,
    starts: 1,
    workers: { idle: 1, total: 1 },
  });
});

test('kills a worker whose call overruns the timeout: 504 for it, 502 for its neighbour, a fresh worker next', async () => {
  const pool = pools.make(
    poolSpec('sleepy', bundles.sleepy, { timeoutMs: 500, concurrency: 2, maxWorkers: 1 }),
  );
  const warm = asSuccess(await pool.invoke({ ms: 0 }));
  const overrun = pool.invoke({ ms: 5_000 });
  // The neighbour's own deadline is 300 ms after the overrun's: it is cut off by the kill first.
  await sleep(300);
  const neighbour = pool.invoke({ ms: 5_000 });

  const timedOut = asFailure(await overrun);
  expect(timedOut).toMatchObject({
    status: 504,
    error: { code: 'FUNCTION_TIMEOUT', retryable: true },
  });
  expect(timedOut.durationMs).toBeGreaterThanOrEqual(490);
  expect(timedOut.durationMs).toBeLessThan(2_000);
  expect(asFailure(await neighbour)).toMatchObject({
    status: 502,
    error: { code: 'WORKER_CRASHED', retryable: true },
  });
  await eventually('the overrunning worker to die', () => !isAlive(warm.worker), {
    timeoutMs: 2_000,
  });

  const next = asSuccess(await pool.invoke({ ms: 0 }));
  expect(next.worker).not.toBe(warm.worker);
  expect(next.coldStart).toBe(true);
  expect(pool.stats()).toMatchObject({ timeouts: 1, crashes: 0 });
  expect(
    logger.lines.some(
      (line) => line.level === 'warn' && line.msg.includes('overran the 500 ms timeout'),
    ),
  ).toBe(true);
});

test('a crash fails the call with 502 retryable; the next call is served by a new worker', async () => {
  const pool = pools.make(poolSpec('echo', bundles.echo));
  const warm = asSuccess(await pool.invoke({ message: 'warm' }));
  const crash = asFailure(await pool.invoke({ message: 'bye', fail: 'crash' }));
  expect(crash).toMatchObject({
    status: 502,
    error: { code: 'WORKER_CRASHED', retryable: true },
    worker: warm.worker,
  });
  expect(crash.error.message).toContain('code 3');

  const after = asSuccess(await pool.invoke({ message: 'again' }));
  expect(after.worker).not.toBe(warm.worker);
  expect(echoOutput(after).invocations).toBe(1);
  expect(pool.stats()).toMatchObject({ crashes: 1, health: { status: 'pass' } });
});

test('a worker that crashes before serving anything is restarted after a short backoff the next call waits for', async () => {
  const pool = pools.make(poolSpec('echo', bundles.echo), {
    backoff: { initialMs: 150, maxMs: 1_000, factor: 2 },
  });
  asFailure(await pool.invoke({ message: 'x', fail: 'crash' }));
  const started = performance.now();
  const next = asSuccess(await pool.invoke({ message: 'after' }));
  expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  expect(next.coldStart).toBe(true);
});

test('a worker over its heap limit (limits.memoryMb) dies, and the call fails 502 naming the limit', async () => {
  const pool = pools.make(poolSpec('hog', bundles.hog, { memoryMb: 32 }));
  const result = asFailure(await pool.invoke({}));
  expect(result).toMatchObject({ status: 502, error: { code: 'WORKER_CRASHED', retryable: true } });
  expect(result.error.message).toContain(
    'ran out of memory (its heap limit is limits.memoryMb = 32 MB)',
  );
});

test('runs `concurrency` calls per worker, queues up to queueSize, then refuses with 429 and a Retry-After hint', async () => {
  const pool = pools.make(
    poolSpec('sleepy', bundles.sleepy, {
      timeoutMs: 5_000,
      concurrency: 2,
      maxWorkers: 1,
      queueSize: 1,
    }),
  );
  const warm = asSuccess(await pool.invoke({ ms: 0 }));
  const calls = [pool.invoke({ ms: 300 }), pool.invoke({ ms: 300 }), pool.invoke({ ms: 300 })];
  const refused = asFailure(await pool.invoke({ ms: 300 }));
  expect(refused).toMatchObject({ status: 429, error: { code: 'QUEUE_FULL', retryable: true } });
  expect(refused.retryAfterS).toBeGreaterThanOrEqual(1);
  expect(pool.stats()).toMatchObject({ queued: 1, inFlight: 2, workers: { busy: 1, total: 1 } });

  const results = (await Promise.all(calls)).map(asSuccess);
  expect(results.map((result) => result.worker)).toEqual([warm.worker, warm.worker, warm.worker]);
  // The queued call waited for a slot: it took about two rounds.
  expect(results[2]?.durationMs).toBeGreaterThanOrEqual(550);
});

test('starts another worker when every worker is saturated, up to maxWorkers', async () => {
  const pool = pools.make(
    poolSpec('echo', bundles.echo, { concurrency: 1, maxWorkers: 2, queueSize: 0 }),
  );
  // Long enough that the first worker is still busy when the second is ready, even on a loaded machine.
  const first = pool.invoke({ message: 'a', delayMs: 1_500 });
  const second = pool.invoke({ message: 'b', delayMs: 1_500 });
  const third = asFailure(await pool.invoke({ message: 'c' }));
  expect(third.status).toBe(429);
  expect(pool.stats().workers.starting).toBe(2);

  const [a, b] = [asSuccess(await first), asSuccess(await second)];
  expect(a.worker).not.toBe(b.worker);
  expect([a.coldStart, b.coldStart]).toEqual([true, true]);
  expect(pool.stats()).toMatchObject({ coldStarts: 2, workers: { idle: 2 } });
});

test('scales to zero after idleMs; the next call is a cold start', async () => {
  const pool = pools.make(poolSpec('echo', bundles.echo, { idleMs: 200 }));
  const first = asSuccess(await pool.invoke({ message: 'a' }));
  expect(pool.stats().workers.total).toBe(1);
  const idleFrom = performance.now();

  await eventually('the idle worker to stop', () => pool.stats().workers.total === 0, {
    timeoutMs: 3_000,
  });
  expect(performance.now() - idleFrom).toBeGreaterThanOrEqual(190);
  expect(isAlive(first.worker)).toBe(false);

  const next = asSuccess(await pool.invoke({ message: 'b' }));
  expect(next.coldStart).toBe(true);
  expect(next.worker).not.toBe(first.worker);
});

test('keeps minWorkers warm: started ahead of calls and never scaled below', async () => {
  const pool = pools.make(poolSpec('echo', bundles.echo, { minWorkers: 1, idleMs: 100 }));
  await pool.start();
  expect(pool.stats().workers.idle).toBe(1);
  expect(asSuccess(await pool.invoke({ message: 'a' })).coldStart).toBe(false);
  await sleep(350);
  expect(pool.stats().workers.idle).toBe(1);
});

test('a function sees its declared secrets and no other variable of the host', async () => {
  // The host's environment: this process's (NODE_OPTIONS included) and two secrets.
  const env = {
    ...process.env,
    ECHO_SECRET: 'echo-secret-value',
    OTHER_SECRET: 'other-secret-value',
  };
  const pool = pools.make(poolSpec('echo', bundles.echo, {}, ['ECHO_SECRET']), { env });
  const read = async (name: string) =>
    echoOutput(await pool.invoke({ message: 'env', env: name })).envValue;
  expect(await read('ECHO_SECRET')).toBe('echo-secret-value');
  expect(await read('OTHER_SECRET')).toBeNull();
  expect(await read('NODE_OPTIONS')).toBeNull();
  expect(await read('ATOLYE_WORKER')).toBe('ipc');
  expect(await read('ATOLYE_RELEASE')).toBe('test-release');
});

test('a handler error is logged with a stack that names the source lines, mapped by the host', async () => {
  const pool = pools.make(poolSpec('echo', bundles.echo));
  const result = asFailure(await pool.invoke({ message: 'mapped', fail: 'error' }));
  expect(result.error).toMatchObject({ code: 'HANDLER_ERROR' });

  await eventually('the handler error in the log', () =>
    logger.records.some((record) => String(record.msg).includes('echo was asked to fail: mapped')),
  );
  const record = logger.records.find((entry) =>
    String(entry.msg).includes('echo was asked to fail: mapped'),
  )!;
  const stack = (record.err as { stack: string }).stack;
  // The worker runs without --enable-source-maps; the host read the bundle's map for this stack.
  const source = path.resolve('functions/echo/index.ts');
  const throwLine =
    1 +
    readFileSync(source, 'utf8')
      .split('\n')
      .findIndex((line) => line.includes('throw new Error(`echo was asked to fail'));
  expect(stack).toContain(`${source}:${throwLine}:`);
  expect(stack).not.toContain(`${bundles.echo}:`);
});

test('a bundle that crashes at start: 503 quoting its error, no restart loop, unhealthy until a start succeeds', async () => {
  const pool = pools.make(poolSpec('broken', bundles.broken), {
    backoff: { initialMs: 200, maxMs: 1_000, factor: 2 },
  });
  const first = asFailure(await pool.invoke({}));
  expect(first).toMatchObject({
    status: 503,
    error: { code: 'WORKER_START_FAILED', retryable: true },
  });
  expect(first.error.message).toContain('broken on purpose while initialising');
  expect(pool.health()).toMatchObject({ status: 'fail' });

  // Within the backoff window calls are refused at once, and nothing is started.
  const refused = asFailure(await pool.invoke({}));
  expect(refused.status).toBe(503);
  expect(refused.retryAfterS).toBeGreaterThanOrEqual(1);
  expect(refused.durationMs).toBeLessThan(50);
  expect(pool.stats().starts).toBe(1);
  expect(await pool.healthCheck(1_000)).toMatchObject({ ok: false });

  await sleep(250);
  asFailure(await pool.invoke({}));
  expect(pool.stats().starts).toBe(2);
  expect(
    logger.lines.some(
      (line) => line.level === 'error' && line.msg.includes('broken failed to start'),
    ),
  ).toBe(true);
  expect(
    logger.lines.some(
      (line) => line.fields.stream === 'stderr' && line.msg.includes('refusing to initialise'),
    ),
  ).toBe(true);
});

test('a worker that never says ready is killed after the start timeout', async () => {
  const silent = path.join(tmp.dir, 'silent.mjs');
  writeFileSync(silent, 'setInterval(() => {}, 1000);\n');
  const pool = pools.make(poolSpec('silent', silent), { startTimeoutMs: 300 });
  const result = asFailure(await pool.invoke({}));
  expect(result).toMatchObject({ status: 503, error: { code: 'WORKER_START_FAILED' } });
  expect(result.error.message).toContain('did not report ready within 300 ms');
});

test('healthCheck starts a worker when none runs and pings it', async () => {
  const pool = pools.make(poolSpec('echo', bundles.echo));
  const check = await pool.healthCheck(5_000);
  if (!check.ok) throw new Error(check.reason);
  expect(check.rssBytes).toBeGreaterThan(1_000_000);
  expect(isAlive(check.worker)).toBe(true);
  expect(asSuccess(await pool.invoke({ message: 'warm' }))).toMatchObject({
    coldStart: false,
    worker: check.worker,
  });
  expect(await pool.healthCheck()).toMatchObject({ ok: true, worker: check.worker });
});

test('drain refuses new calls, finishes running and queued ones, then stops the workers', async () => {
  const pool = pools.make(poolSpec('echo', bundles.echo, { concurrency: 1, maxWorkers: 1 }));
  const warm = asSuccess(await pool.invoke({ message: 'warm' }));
  const running = pool.invoke({ message: 'running', delayMs: 200 });
  const queued = pool.invoke({ message: 'queued', delayMs: 50 });
  const drained = pool.drain();

  expect(asFailure(await pool.invoke({ message: 'late' }))).toMatchObject({
    status: 503,
    error: { code: 'FUNCTION_DRAINING', retryable: true },
  });
  expect(echoOutput(await running).message).toBe('running');
  expect(echoOutput(await queued).message).toBe('queued');
  await drained;
  expect(pool.stats().workers.total).toBe(0);
  expect(isAlive(warm.worker)).toBe(false);
  // It left on the shutdown message (exit code 0), not by the SIGKILL after the grace period.
  const stopped = logger.lines.find(
    (line) => line.msg === 'worker of echo stopped' && line.fields.worker === warm.worker,
  );
  expect(stopped?.fields).toMatchObject({ code: 0, signal: null });
  expect(await pool.healthCheck()).toMatchObject({ ok: false });
});
