import type { RetryPolicy } from '@langchain/langgraph';
import type { ErrorCode } from '../../error-codes/index.js';
import { AtolyeError, errorCodeOf, errorMessage, isRetryable } from '../../errors.js';
import type { RunError, StepName } from './steps.js';

/**
 * The one layer that retries an agent step: LangGraph's `RetryPolicy` on each node. How many
 * attempts a step gets is its function's declared `limits.retries` (+1); how long it waits between
 * them is the backoff below. Only errors that say so themselves (`retryable: true`, as
 * `InvokeError` and every `AtolyeError` carry) are retried; anything else ends the run. Nothing
 * underneath retries blindly: the invoke client makes one attempt per call and the model client
 * makes one request, unless the server on the other end says when to come back — the model server
 * (agent/model/retry.ts), or the worker host for a call it refused or whose worker was killed
 * from outside (orchestrator/host-resend.ts).
 */

/** When LangGraph tries a failed step again; how often is each function's declared `retries`. */
export type StepBackoff = Pick<
  RetryPolicy,
  'initialInterval' | 'backoffFactor' | 'maxInterval' | 'jitter'
>;

export const DEFAULT_STEP_BACKOFF: Required<StepBackoff> = {
  initialInterval: 500,
  backoffFactor: 2,
  maxInterval: 10_000,
  jitter: true,
};

/** LangGraph adds up to this much to each wait when `jitter` is on (pregel/retry.ts). */
export const LANGGRAPH_JITTER_MS = 1_000;

/** Retries a step function gets when its declaration is not known: the contract's default. */
export const UNDECLARED_RETRIES = 0;

/** Each step function's declared `limits.retries`; a step left out gets UNDECLARED_RETRIES. */
export type StepRetries = Partial<Record<StepName, number>>;

/** The policy of a step whose function declares `retries`: that many retries, then the error. */
export function stepRetryPolicy(retries: number, backoff: StepBackoff = {}): RetryPolicy {
  if (!Number.isInteger(retries) || retries < 0) {
    throw new AtolyeError(
      'STEP_RETRIES_INVALID',
      `a step's retries must be a whole number ≥ 0 (limits.retries), got ${retries}`,
    );
  }
  return {
    ...DEFAULT_STEP_BACKOFF,
    ...backoff,
    maxAttempts: retries + 1,
    // The graph logs each attempt itself, on the `agent` channel, not on the console.
    logWarning: false,
    retryOn: isRetryable,
  };
}

/**
 * How long LangGraph waits after failed attempt `attempt` (from 1) before the next, without its
 * jitter: `initialInterval · backoffFactor^(attempt-1)`, at most `maxInterval`.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const initial = policy.initialInterval ?? DEFAULT_STEP_BACKOFF.initialInterval;
  const factor = policy.backoffFactor ?? DEFAULT_STEP_BACKOFF.backoffFactor;
  const max = policy.maxInterval ?? DEFAULT_STEP_BACKOFF.maxInterval;
  return Math.min(max, initial * factor ** (attempt - 1));
}

/** The stable code of a step's failure: its own `code`, or STEP_FAILED. */
export function stepErrorCode(error: unknown): string {
  return errorCodeOf(error) ?? ('STEP_FAILED' satisfies ErrorCode);
}

/** The `{ code, message }` the run state keeps for a failed step. */
export function toRunError(step: string, error: unknown): RunError {
  return { code: stepErrorCode(error), message: `step ${step} failed: ${errorMessage(error)}` };
}
