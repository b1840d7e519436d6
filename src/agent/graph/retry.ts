import type { RetryPolicy } from '@langchain/langgraph';
import { errorMessage } from '../../errors.js';
import type { RunError } from './steps.js';

/**
 * Which step failures the graph tries again. Only errors that say so themselves (`retryable: true`,
 * as `InvokeError` and every `AtolyeError` carry) are retried; anything else ends the run.
 */

export const DEFAULT_STEP_RETRY: RetryPolicy = {
  maxAttempts: 3,
  initialInterval: 500,
  backoffFactor: 2,
  maxInterval: 10_000,
  jitter: true,
  logWarning: false,
};

/** Read by shape: errors may come from another realm or a bundle with its own class copies. */
export function isRetryableError(error: unknown): boolean {
  return (
    error !== null &&
    typeof error === 'object' &&
    (error as { retryable?: unknown }).retryable === true
  );
}

export function stepRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_STEP_RETRY, ...overrides, retryOn: isRetryableError };
}

/** The `{ code, message }` the run state keeps for a failed step. */
export function toRunError(step: string, error: unknown): RunError {
  const code =
    error !== null &&
    typeof error === 'object' &&
    typeof (error as { code?: unknown }).code === 'string' &&
    (error as { code: string }).code !== ''
      ? (error as { code: string }).code
      : 'STEP_FAILED';
  return { code, message: `step ${step} failed: ${errorMessage(error)}` };
}
