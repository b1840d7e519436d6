import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Limits } from '../../../../src/runtime/contract.js';
import type { FunctionPool, PoolDeps } from '../../../../src/runtime/host/index.js';
import { ABSORBED_KILLS } from '../../../../src/runtime/host/restart-gate.js';
import { createGateway, Registry } from '../../../../src/runtime/host/index.js';
import { bundleFunction } from '../../../helpers/function-bundle.js';
import { signedCall, type CallReply } from '../../../helpers/signed-call.js';
import { eventually } from '../../../helpers/eventually.js';
import { tempDir } from '../../../helpers/tmp.js';
import { asFailure, asSuccess, PoolSet, poolSpec, recordingLogger } from './harness.js';

/**
 * Workers killed from outside (SIGKILL from an operator, a chaos test, the kernel's OOM killer)
 * against real worker processes: a kill is not the bundle's fault, so it neither backs the pool
 * off nor fails the calls waiting for a worker; a bundle that fails at start keeps its backoff.
 */

const tmp = tempDir('atolye-kills-');
const logger = recordingLogger();
const pools = new PoolSet({ logger });
let gated: string;

/** Any failure counted against the pool closes it for 10 s: a call would then be refused. */
const SLOW_BACKOFF = { initialMs: 10_000, maxMs: 10_000, factor: 2 };

beforeAll(async () => {
  gated = await bundleFunction('tests/integration/runtime/host/fixtures/gated/index.ts', tmp.dir);
});
afterEach(() => pools.drainAll());
afterAll(() => tmp.cleanup());

/** A file path in the test's folder that does not exist yet. */
const freshFile = (what: string): string => path.join(tmp.dir, `${what}-${randomUUID()}`);

/** A pool of `gated` whose workers start once `gate` exists (at once without a gate). */
function gatedPool(
  gate: string | undefined,
  limits: Partial<Limits> = {},
  deps: Omit<PoolDeps, 'stamp'> = {},
): FunctionPool {
  const env = gate === undefined ? process.env : { ...process.env, GATE_FILE: gate };
  return pools.make(poolSpec('gated', gated, { maxWorkers: 1, ...limits }, ['GATE_FILE']), {
    env,
    backoff: SLOW_BACKOFF,
    ...deps,
  });
}

type Counted = 'starting' | 'idle' | 'busy';

/**
 * SIGKILLs the pool's one worker once it is `state` (one not killed before), and waits until the
 * pool has noticed; returns its pid.
 */
async function killWorker(
  pool: FunctionPool,
  state: Counted,
  killed: Set<number>,
): Promise<number> {
  const pid = await eventually(`a ${state} worker of ${pool.spec.name}`, () => {
    const stats = pool.stats();
    const live = stats.pids.filter((candidate) => !killed.has(candidate));
    return stats.workers[state] === 1 && live.length === 1 ? live[0] : undefined;
  });
  process.kill(pid, 'SIGKILL');
  killed.add(pid);
  await eventually(`the pool to notice ${pid} died`, () => !pool.stats().pids.includes(pid));
  return pid;
}

function linesAbout(pid: number): string[] {
  return logger.lines.filter((line) => line.fields.worker === pid).map((line) => line.msg);
}

test('a worker killed while it starts: the waiting call is served by the next worker, without backoff, and the pool stays healthy', async () => {
  const gate = freshFile('gate');
  const pool = gatedPool(gate);
  const killed = new Set<number>();
  const call = pool.invoke({ message: 'waits for a worker' });
  const first = await killWorker(pool, 'starting', killed);
  // The replacement starts at once (the backoff would hold it for 10 s); then it may finish.
  await eventually('a replacement worker', () => pool.stats().starts === 2);
  writeFileSync(gate, '');

  const result = asSuccess(await call);
  expect(result.worker).not.toBe(first);
  expect(result.coldStart).toBe(true);
  expect(pool.health()).toEqual({ status: 'pass' });
  expect(pool.stats()).toMatchObject({ starts: 2, crashes: 1, workers: { idle: 1, total: 1 } });
  expect(linesAbout(first)).toContain(
    `worker of gated killed: worker ${first} was killed by SIGKILL from outside the host before it was ready; replaced at once`,
  );
});

test('a health check whose worker is killed while it starts checks the next one', async () => {
  const gate = freshFile('gate');
  const pool = gatedPool(gate);
  const checked = pool.healthCheck(20_000);
  const first = await killWorker(pool, 'starting', new Set());
  await eventually('a replacement worker', () => pool.stats().starts === 2);
  writeFileSync(gate, '');
  const check = await checked;
  if (!check.ok) throw new Error(check.reason);
  expect(check.worker).not.toBe(first);
});

test('a worker killed during a call: that call fails 502 retryable, the next call gets a fresh worker at once', async () => {
  const hold = freshFile('hold');
  writeFileSync(hold, '');
  const pool = gatedPool(undefined);
  const killed = new Set<number>();
  const running = pool.invoke({ message: 'cut off', holdWhile: hold });
  const pid = await killWorker(pool, 'busy', killed);

  const lost = asFailure(await running);
  // Unlike a crash of its own, a kill asks the caller to send the call again (a preemption).
  expect(lost).toMatchObject({
    status: 502,
    error: { code: 'WORKER_CRASHED', retryable: true },
    retryAfterS: 1,
  });
  expect(lost.error.message).toContain(
    `worker ${pid} was killed by SIGKILL from outside the host after it was ready`,
  );
  // The worker had served nothing; a crash of its own would close the pool for 10 s.
  const next = asSuccess(await pool.invoke({ message: 'next' }));
  expect(next.worker).not.toBe(pid);
  expect(pool.health()).toEqual({ status: 'pass' });
});

test('workers killed again and again, idle and starting, during a series of calls: every call succeeds', async () => {
  const rounds = 6;
  const gate = freshFile('gate');
  const pool = gatedPool(gate);
  const killed = new Set<number>();
  for (let round = 0; round < rounds; round += 1) {
    rmSync(gate, { force: true });
    if (round > 0) await killWorker(pool, 'idle', killed);
    const call = pool.invoke({ message: `call ${round}` });
    // The gate is closed: the kill surely lands while the worker starts.
    await killWorker(pool, 'starting', killed);
    await eventually('a replacement worker', () => pool.stats().starts === 2 * (round + 1));
    writeFileSync(gate, '');
    expect(asSuccess(await call).coldStart).toBe(true);
  }
  expect(killed.size).toBe(2 * rounds - 1);
  expect(killed.size).toBeGreaterThan(ABSORBED_KILLS);
  expect(pool.health()).toEqual({ status: 'pass' });
  expect(pool.stats()).toMatchObject({ starts: 2 * rounds, crashes: 2 * rounds - 1 });
});

test(`kills of workers that never serve are absorbed ${ABSORBED_KILLS} times in a row; the next counts as a failed start`, async () => {
  const pool = gatedPool(freshFile('gate-never-opened'));
  const killed = new Set<number>();
  const call = pool.invoke({ message: 'never served' });
  for (let kill = 0; kill <= ABSORBED_KILLS; kill += 1) {
    await killWorker(pool, 'starting', killed);
  }

  const refused = asFailure(await call);
  expect(refused).toMatchObject({
    status: 503,
    error: { code: 'WORKER_START_FAILED', retryable: true },
  });
  expect(refused.error.message).toContain(
    `more than ${ABSORBED_KILLS} workers in a row were killed before serving a call`,
  );
  // Now the pool backs off as for a failing bundle: refused at once, nothing started.
  const again = asFailure(await pool.invoke({ message: 'again' }));
  expect(again).toMatchObject({ status: 503, error: { code: 'WORKER_START_FAILED' } });
  expect(again.retryAfterS).toBeGreaterThanOrEqual(1);
  expect(pool.stats().starts).toBe(ABSORBED_KILLS + 1);
  expect(pool.health()).toMatchObject({ status: 'fail' });
});

test('a bundle that fails at start by itself (exit code 1, or a signal it raises) keeps its backoff and WORKER_START_FAILED', async () => {
  const exits = path.join(tmp.dir, 'exits.mjs');
  writeFileSync(exits, "console.error('exits: cannot start (on purpose)');\nprocess.exit(1);\n");
  const aborts = path.join(tmp.dir, 'aborts.mjs');
  writeFileSync(aborts, 'process.abort();\n');
  const backoff = { initialMs: 100, maxMs: 400, factor: 2 };

  for (const [bundle, said] of [
    [exits, 'code 1 before it was ready: exits: cannot start (on purpose)'],
    [aborts, 'signal SIGABRT before it was ready'],
  ] as const) {
    const pool = pools.make(poolSpec(path.basename(bundle, '.mjs'), bundle), { backoff });
    const first = asFailure(await pool.invoke({}));
    expect(first).toMatchObject({
      status: 503,
      error: { code: 'WORKER_START_FAILED', retryable: true },
    });
    expect(first.error.message).toContain(said);
    expect(first.retryAfterS).toBeGreaterThanOrEqual(1);
    expect(pool.health()).toMatchObject({ status: 'fail' });

    // Within the backoff window calls are refused at once and nothing starts; after it, one does.
    const codes: string[] = [];
    await eventually(
      'three failed starts',
      async () => {
        codes.push(asFailure(await pool.invoke({})).error.code);
        return pool.stats().starts >= 3;
      },
      { intervalMs: 50 },
    );
    expect(new Set(codes)).toEqual(new Set(['WORKER_START_FAILED']));
    expect(codes.length).toBeGreaterThan(2);
    expect(pool.health()).toMatchObject({ status: 'fail' });
  }
});

test('a re-sent call with the same idempotency key runs again after its worker was killed mid-call', async () => {
  const hold = freshFile('hold');
  writeFileSync(hold, '');
  const pool = gatedPool(undefined);
  const registry = new Registry();
  registry.swap('gated', pool);
  const secret = 'kills-test-secret';
  const gateway = createGateway({
    config: { security: { signingSecret: secret, adminToken: '' } },
    registry,
    logger,
    bodyLimitBytes: 64 * 1024,
  });
  const { url } = await gateway.listen(0, '127.0.0.1');
  try {
    const key = `kills-${randomUUID()}`;
    const send = (): Promise<CallReply> =>
      signedCall(
        url,
        'gated',
        { input: { message: 'once', holdWhile: hold }, meta: { invocationId: randomUUID() } },
        { secret, headers: { 'idempotency-key': key } },
      );
    const first = send();
    const killedPid = await killWorker(pool, 'busy', new Set());
    const lost = await first;
    expect(lost.status).toBe(502);
    expect(lost.headers.get('retry-after')).toBe('1');
    expect(lost.body).toMatchObject({ error: { code: 'WORKER_CRASHED', retryable: true } });

    rmSync(hold);
    const retried = await send();
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const output = (retried.body as { output: { pid: number; invocations: number } }).output;
    expect(output.pid).not.toBe(killedPid);
    expect(output.invocations).toBe(1);
    // Completed now: a third send is answered from the cache, nothing runs again.
    const replayed = await send();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(retried.body);
  } finally {
    await gateway.close();
  }
});
