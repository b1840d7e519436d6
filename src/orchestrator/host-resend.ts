import { errorCodeOf, isRetryable } from '../errors.js';
import { InvokeError } from '../runtime/invoke.js';
import { transientNetworkCode } from '../runtime/retry.js';

/**
 * When the step client sends a step call again by itself: only when the worker host said the
 * failure was none of the function's doing, whatever the function declares as its `retries`.
 *
 * - A refusal: the host answered 429 or 503 before any worker ran the call (queue full, no
 *   worker could start, draining, its replay guard full; a handler's own errors are 500), or
 *   never accepted the connection (ECONNREFUSED: it is restarting). Nothing ran, so nothing can
 *   run twice.
 * - A preemption: the worker running the call was killed from outside (an operator, the kernel's
 *   OOM killer, a chaos test); the host answers 502 WORKER_CRASHED with a `Retry-After`, as Modal
 *   restarts a preempted input on a fresh container whatever the function's `retries`. The call
 *   may have run in part (a step's side effects stay in its workspace; see docs/api/functions_api.md).
 *
 * The wait is the host's `Retry-After`, or 0.5 s doubling to 5 s without one, and the waits of one
 * step attempt add up to RESEND_BUDGET_MS at most: a budget in time, because how often the host
 * says "not now" depends on how long "now" lasts (a queue draining, a replacement starting), not
 * on the step. A worker that crashed by itself (502 without `Retry-After`), a timeout or the
 * handler's own error goes to the graph's step retry policy, bounded by the declared `retries`.
 */

/** Longest the waits for one step attempt may add up to. */
export const RESEND_BUDGET_MS = 30_000;
const FIRST_WAIT_MS = 500;
const MAX_WAIT_WITHOUT_HINT_MS = 5_000;

const REFUSED_STATUSES = new Set([429, 503]);

/** Whether the host asked for the call again: a refusal, or a preemption with `Retry-After`. */
export function hostAsksResend(error: unknown): error is InvokeError {
  if (!(error instanceof InvokeError) || !isRetryable(error)) return false;
  if (error.status === undefined) {
    return (
      errorCodeOf(error) === 'INVOKE_NETWORK' && transientNetworkCode(error) === 'ECONNREFUSED'
    );
  }
  return REFUSED_STATUSES.has(error.status) || error.retryAfterMs !== undefined;
}

/**
 * How long to wait before sending the call again, or undefined when it is not sent again: the
 * host did not ask, or the wait would take the attempt past `budgetMs` of waiting in all.
 */
export function resendWaitMs(
  error: unknown,
  resends: number,
  waitedMs: number,
  budgetMs = RESEND_BUDGET_MS,
): number | undefined {
  if (!hostAsksResend(error)) return undefined;
  const waitMs =
    error.retryAfterMs ?? Math.min(MAX_WAIT_WITHOUT_HINT_MS, FIRST_WAIT_MS * 2 ** resends);
  return waitedMs + waitMs <= budgetMs ? waitMs : undefined;
}

/**
 * The failure the step client gave up on, marked not retryable: the host kept failing the call
 * for the whole budget, and the graph's retry on top would only multiply the wait (as with the
 * model layer's own retries, src/agent/model/retry.ts).
 */
export function resendGivenUp(error: InvokeError, failures: number, waitedMs: number): InvokeError {
  const times = failures === 1 ? 'once' : `${failures} times`;
  return new InvokeError(error.functionName, {
    code: error.code,
    message: `${error.message} (the host failed the call ${times} in ${Math.round(waitedMs / 1000)} s; the step is not retried)`,
    retryable: false,
    status: error.status,
    retryAfterMs: error.retryAfterMs,
    cause: error,
  });
}
