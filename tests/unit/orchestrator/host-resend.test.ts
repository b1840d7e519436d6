import { relayedCode } from '../../../src/errors.js';
import {
  hostAsksResend,
  RESEND_BUDGET_MS,
  resendGivenUp,
  resendWaitMs,
} from '../../../src/orchestrator/host-resend.js';
import { InvokeError, type InvokeFailure } from '../../../src/runtime/invoke.js';

function hostError(failure: Partial<InvokeFailure>): InvokeError {
  return new InvokeError('act', {
    code: relayedCode('QUEUE_FULL'),
    message: 'function act failed: act is at capacity',
    retryable: true,
    ...failure,
  });
}

const answered = (status: number, retryAfterMs?: number) =>
  hostError({ code: relayedCode('X'), status, retryAfterMs });
const connectionRefused = hostError({
  code: 'INVOKE_NETWORK',
  cause: new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  }),
});

test('the host asks for a call again when it refused it (429, 503, a refused connection) or its worker was killed (a Retry-After)', () => {
  expect(hostAsksResend(answered(429))).toBe(true);
  expect(hostAsksResend(answered(503))).toBe(true);
  expect(hostAsksResend(connectionRefused)).toBe(true);
  // WORKER_CRASHED of a worker killed from outside carries a Retry-After; of one that crashed by
  // itself, none: then the graph's retry policy and the declared retries decide.
  expect(hostAsksResend(answered(502, 1_000))).toBe(true);
  expect(hostAsksResend(answered(502))).toBe(false);
  expect(hostAsksResend(answered(504))).toBe(false);
  expect(hostAsksResend(answered(500))).toBe(false);
  const reset = hostError({
    code: 'INVOKE_NETWORK',
    cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  });
  expect(hostAsksResend(reset)).toBe(false);
  // Never what is not retryable, nor what did not come from the invoke client.
  expect(hostAsksResend(hostError({ status: 503, retryable: false }))).toBe(false);
  expect(hostAsksResend(hostError({ status: 502, retryAfterMs: 1_000, retryable: false }))).toBe(
    false,
  );
  expect(hostAsksResend(Object.assign(new Error('busy'), { status: 503, retryable: true }))).toBe(
    false,
  );
});

test("waits the host's Retry-After, else 0.5 s doubling to 5 s, while the waits fit the budget", () => {
  expect(resendWaitMs(answered(503, 2_000), 0, 0)).toBe(2_000);
  expect(resendWaitMs(answered(503, 2_000), 3, 28_000)).toBe(2_000);
  expect(resendWaitMs(answered(503, 2_000), 3, 28_001)).toBeUndefined();
  expect(resendWaitMs(answered(503, 40_000), 0, 0)).toBeUndefined();
  expect([0, 1, 2, 3, 4, 5].map((n) => resendWaitMs(connectionRefused, n, 0))).toEqual([
    500, 1_000, 2_000, 4_000, 5_000, 5_000,
  ]);
  expect(resendWaitMs(answered(502), 0, 0)).toBeUndefined();
  expect(resendWaitMs(answered(503, 1_000), 0, 0, 500)).toBeUndefined();
  expect(RESEND_BUDGET_MS).toBe(30_000);
});

test('a failure given up on keeps its code and status, says why, and is no longer retryable', () => {
  const last = answered(503, 1_000);
  const given = resendGivenUp(last, 4, 29_400);
  expect(given).toBeInstanceOf(InvokeError);
  expect(given).toMatchObject({ code: 'X', status: 503, retryable: false, functionName: 'act' });
  expect(given.message).toBe(
    'function act failed: act is at capacity (the host failed the call 4 times in 29 s; the step is not retried)',
  );
  expect(given.cause).toBe(last);
  expect(resendGivenUp(last, 1, 0).message).toContain('failed the call once in 0 s');
});
