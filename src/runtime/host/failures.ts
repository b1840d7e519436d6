import type { WireError } from '../protocol.js';

/**
 * The host's own failures, as the wire errors callers receive. `retryable` tells the invoke client
 * whether the same call may succeed later; how often it tries is the function's `retries`.
 */
export interface HostFailure {
  status: number;
  error: WireError;
  retryAfterS?: number;
}

/**
 * The worker could not be sent the input (the IPC channel's serialisation threw). Nothing reached
 * the worker, which stays in service; the same input would fail again, so it is not retryable.
 */
export function inputUnsendable(name: string, reason: string): HostFailure {
  return {
    status: 400,
    error: {
      code: 'INPUT_UNSENDABLE',
      message: `the input cannot be sent to a worker of ${name}: ${reason}`,
      retryable: false,
    },
  };
}

/** A fault of the host itself while it handled the call; logged with its stack. */
export function hostFault(name: string, reason: string): HostFailure {
  return {
    status: 500,
    error: {
      code: 'INTERNAL_ERROR',
      message: `the host failed while handling a call to ${name}: ${reason}`,
      retryable: false,
    },
  };
}

export function workerCrashed(message: string): HostFailure {
  return { status: 502, error: { code: 'WORKER_CRASHED', message, retryable: true } };
}

/**
 * A timeout is retryable: the usual cause in this product is a slow upstream (the model API), and
 * the declaration's `retries` (0 by default) bounds how often a caller repeats it.
 */
export function functionTimeout(name: string, timeoutMs: number): HostFailure {
  return {
    status: 504,
    error: {
      code: 'FUNCTION_TIMEOUT',
      message: `${name} did not finish within its timeout of ${timeoutMs} ms; the worker was stopped (raise limits.timeoutMs if the work is legitimately long)`,
      retryable: true,
    },
  };
}

export function queueFull(name: string, queueSize: number, retryAfterS: number): HostFailure {
  return {
    status: 429,
    error: {
      code: 'QUEUE_FULL',
      message: `${name} is at capacity: every worker is busy and ${queueSize} calls are already queued`,
      retryable: true,
    },
    retryAfterS,
  };
}

export function workerStartFailed(name: string, reason: string, retryAfterS: number): HostFailure {
  return {
    status: 503,
    error: {
      code: 'WORKER_START_FAILED',
      message: `${name} could not start a worker: ${reason}`,
      retryable: true,
    },
    retryAfterS,
  };
}

export function functionUnavailable(
  name: string,
  reason: string,
  retryAfterS: number,
): HostFailure {
  return {
    status: 503,
    error: {
      code: 'FUNCTION_UNAVAILABLE',
      message: `${name} is unavailable while its workers fail to start (${reason}); retrying in ${retryAfterS} s`,
      retryable: true,
    },
    retryAfterS,
  };
}

export function functionDraining(name: string): HostFailure {
  return {
    status: 503,
    error: {
      code: 'FUNCTION_DRAINING',
      message: `${name} is being replaced or shut down and takes no new calls; retry shortly`,
      retryable: true,
    },
    retryAfterS: 1,
  };
}
