import type { ErrorCodeEntry } from './entry.js';

/**
 * Codes that end a run (its `error.code`) and those of the steps underneath: the model, the
 * sandbox and the tools. A run's error reaches a client in the run, not as a failed request;
 * `status` is what a request failing for the same reason answers.
 */
export const RUN_ERRORS = {
  RUN_TIMEOUT: { status: 504, retryable: false },
  RUN_CANCELLED: { status: 409, retryable: false },
  RUN_INCOMPLETE: { status: 500, retryable: false },
  RUN_FAILED: { status: 500, retryable: false },
  RUN_LEASE_LOST: { status: 409, retryable: true },
  MAX_ITERATIONS: { status: 422, retryable: false },
  TOKEN_BUDGET_EXCEEDED: { status: 422, retryable: false },
  COST_BUDGET_EXCEEDED: { status: 422, retryable: false },
  STUCK: { status: 422, retryable: false },
  STEP_FAILED: { status: 500, retryable: false },
  STEP_BAD_OUTPUT: { status: 500, retryable: false },
  STEP_RETRIES_INVALID: { status: 500, retryable: false },
  THREAD_ID_INVALID: { status: 400, retryable: false },
  MODEL_KEY_MISSING: { status: 500, retryable: false },
  MODEL_KEY_REJECTED: { status: 502, retryable: false },
  MODEL_RATE_LIMITED: { status: 503, retryable: true },
  MODEL_TIMEOUT: { status: 504, retryable: true },
  MODEL_UNREACHABLE: { status: 502, retryable: true },
  MODEL_BAD_REPLY: { status: 502, retryable: false },
  MODEL_ERROR: { status: 502, retryable: false },
  MODEL_CANCELLED: { status: 409, retryable: false },
  SANDBOX_UNAVAILABLE: { status: 500, retryable: false },
  SANDBOX_SPAWN_FAILED: { status: 500, retryable: false },
  SANDBOX_INVALID_OPTIONS: { status: 500, retryable: false },
  SANDBOX_WORKSPACE_MISSING: { status: 500, retryable: false },
  SANDBOX_WORKSPACE_UNREACHABLE: { status: 500, retryable: false },
  WORKSPACE_NOT_ABSOLUTE: { status: 500, retryable: false },
  SEARCH_FAILED: { status: 500, retryable: false },
} as const satisfies Record<string, ErrorCodeEntry>;
