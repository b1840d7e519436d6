import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StepCallOptions } from '../../../../src/agent/graph/index.js';
import { stepClient, type StepCallRecord } from '../../../../src/orchestrator/step-client.js';
import {
  createGateway,
  FunctionPool,
  Registry,
  type Gateway,
} from '../../../../src/runtime/host/index.js';
import { createInvoker, InvokeError, type Invoke } from '../../../../src/runtime/invoke.js';
import { eventually } from '../../../helpers/eventually.js';
import { bundleFunction } from '../../../helpers/function-bundle.js';
import { tempDir } from '../../../helpers/tmp.js';
import { poolSpec, recordingLogger, STAMP } from './harness.js';

/**
 * The orchestrator's step client against a real host: a call the host asks for again (it refused
 * it, or the worker running it was killed from outside) is sent again after the host's wait,
 * within a time budget; a worker that crashed by itself is left to the graph's step retry policy.
 */

const tmp = tempDir('atolye-resend-');
const secret = 'resend-test-secret';
let pool: FunctionPool;
let gateway: Gateway;
let invoke: Invoke;

beforeAll(async () => {
  const bundle = await bundleFunction(
    'tests/integration/runtime/host/fixtures/gated/index.ts',
    tmp.dir,
  );
  // Registered as `finalize`, a step name, so the step client may call it; one call at a time.
  pool = new FunctionPool(
    poolSpec('finalize', bundle, { concurrency: 1, maxWorkers: 1, queueSize: 0 }),
    { stamp: STAMP, logger: recordingLogger(), stopGraceMs: 500 },
  );
  const registry = new Registry();
  registry.swap('finalize', pool);
  gateway = createGateway({
    config: { security: { signingSecret: secret, adminToken: '' } },
    registry,
    logger: recordingLogger(),
    bodyLimitBytes: 64 * 1024,
  });
  const { url } = await gateway.listen(0, '127.0.0.1');
  invoke = createInvoker({ baseUrl: url, secret, timeoutMs: 20_000 });
});

afterAll(async () => {
  await gateway.close();
  await pool.drain();
  tmp.cleanup();
});

function stepCall(): StepCallOptions {
  const runId = randomUUID();
  return {
    threadId: 'thread-resend',
    runId,
    step: 'finalize',
    superstep: 1,
    attempt: 1,
    iteration: 1,
    idempotencyKey: `thread-resend:${runId}:finalize:1`,
  };
}

/** Occupies the pool's one slot until the returned release is called. */
async function occupy(): Promise<{ release(): void; done: Promise<unknown> }> {
  const hold = path.join(tmp.dir, `hold-${randomUUID()}`);
  writeFileSync(hold, '');
  const done = invoke('finalize', { message: 'busy', holdWhile: hold });
  await eventually('the slot to be taken', () => pool.stats().workers.busy === 1);
  return { release: () => rmSync(hold, { force: true }), done };
}

test('a call refused 429 QUEUE_FULL is sent again after the Retry-After, and succeeds once a slot is free', async () => {
  const slot = await occupy();
  const records: StepCallRecord[] = [];
  const client = stepClient({
    invoke,
    timeoutMs: 20_000,
    onCall: (record) => {
      records.push(record);
      // Free the slot only once the host has refused the call at least once.
      if (record.retryInMs !== undefined) slot.release();
    },
  });

  const output = await client('finalize', { message: 'second' } as never, stepCall());
  expect(output).toMatchObject({ message: 'second' });
  await slot.done;
  const refused = records.filter((record) => !record.ok);
  expect(refused.length).toBeGreaterThanOrEqual(1);
  for (const record of refused) {
    expect(record).toMatchObject({ code: 'QUEUE_FULL', attempt: 1 });
    // The host's Retry-After is whole seconds, at least 1.
    expect(record.retryInMs).toBeGreaterThanOrEqual(1_000);
  }
  expect(records.at(-1)).toMatchObject({ ok: true, attempt: 1 });
});

test('refusals past the time budget end the attempt with an error that is no longer retryable', async () => {
  const slot = await occupy();
  const records: StepCallRecord[] = [];
  const client = stepClient({
    invoke,
    timeoutMs: 20_000,
    resendBudgetMs: 3_000,
    onCall: (record) => records.push(record),
  });
  try {
    const error: unknown = await client(
      'finalize',
      { message: 'no room' } as never,
      stepCall(),
    ).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InvokeError);
    expect(error).toMatchObject({ code: 'QUEUE_FULL', status: 429, retryable: false });
    expect((error as Error).message).toMatch(
      /the host failed the call \d+ times in \d+ s; the step is not retried/,
    );
    // Sent again after each Retry-After (whole seconds) while the waits fit in the 3 s budget.
    const waits = records.slice(0, -1).map((record) => record.retryInMs ?? 0);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits.every((wait) => wait >= 1_000)).toBe(true);
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBeLessThanOrEqual(3_000);
    expect(records.at(-1)).toMatchObject({ ok: false, code: 'QUEUE_FULL' });
    expect(records.at(-1)?.retryInMs).toBeUndefined();
  } finally {
    slot.release();
    await slot.done;
  }
});

test('a call whose worker is killed mid-call is sent again after the Retry-After, under the same key, and succeeds', async () => {
  const hold = path.join(tmp.dir, `hold-${randomUUID()}`);
  writeFileSync(hold, '');
  const records: StepCallRecord[] = [];
  const client = stepClient({
    invoke,
    timeoutMs: 20_000,
    // Let the second attempt finish: the first is cut off while it holds.
    onCall: (record) => {
      records.push(record);
      rmSync(hold, { force: true });
    },
  });
  const call = client('finalize', { message: 'killed', holdWhile: hold } as never, stepCall());
  const pid = await eventually('a busy worker', () =>
    pool.stats().workers.busy === 1 ? pool.stats().pids[0] : undefined,
  );
  process.kill(pid, 'SIGKILL');

  const output = (await call) as { pid: number; invocations: number };
  expect(output.pid).not.toBe(pid);
  expect(output.invocations).toBe(1);
  expect(records).toEqual([
    expect.objectContaining({ ok: false, code: 'WORKER_CRASHED', retryInMs: 1_000, attempt: 1 }),
    expect.objectContaining({ ok: true, attempt: 1 }),
  ]);
});

test('a call whose worker crashed by itself is not sent again by the step client: the graph decides', async () => {
  const records: StepCallRecord[] = [];
  const client = stepClient({
    invoke,
    timeoutMs: 20_000,
    onCall: (record) => records.push(record),
  });
  const error = await client('finalize', { message: 'bye', crash: true } as never, stepCall()).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toMatchObject({ code: 'WORKER_CRASHED', status: 502, retryable: true });
  expect((error as Error).message).toContain('exited unexpectedly with code 3');
  expect(records).toEqual([
    expect.objectContaining({ ok: false, code: 'WORKER_CRASHED', attempt: 1 }),
  ]);
  expect(records[0]?.retryInMs).toBeUndefined();
});
