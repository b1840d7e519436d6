import { ERROR_CODES, type ErrorCode } from '../../error-codes/index.js';
import type { WireError } from '../protocol.js';

/**
 * The host's own failures, as the wire errors callers receive, with the status and `retryable`
 * of their codes in the catalogue. `retryable` tells the invoke client whether the same call may
 * succeed later; how often it tries is the function's `retries`, except that a failure with
 * `retryAfterS` (a refusal, a killed worker) asks for the call again after that wait, which the
 * orchestrator does within a time budget (src/orchestrator/host-resend.ts).
 */
export interface HostFailure {
  status: number;
  error: WireError;
  retryAfterS?: number;
}

function failure(
  code: ErrorCode,
  message: string,
  retryAfterS?: number,
  retryable: boolean = ERROR_CODES[code].retryable,
): HostFailure {
  const answer: HostFailure = {
    status: ERROR_CODES[code].status,
    error: { code, message, retryable },
  };
  if (retryAfterS !== undefined) answer.retryAfterS = retryAfterS;
  return answer;
}

/**
 * The worker could not be sent the input (the IPC channel's serialisation threw). Nothing reached
 * the worker, which stays in service; the same input would fail again, so it is not retryable.
 */
export function inputUnsendable(name: string, reason: string): HostFailure {
  return failure('INPUT_UNSENDABLE', `the input cannot be sent to a worker of ${name}: ${reason}`);
}

/**
 * A fault of the host itself while it handled the call; logged with its stack. Not retryable, as
 * any error the gateway did not expect: the same call would meet the same fault.
 */
export function hostFault(name: string, reason: string): HostFailure {
  return failure(
    'INTERNAL',
    `the host failed while handling a call to ${name}: ${reason}`,
    undefined,
    false,
  );
}

export function workerCrashed(message: string): HostFailure {
  return failure('WORKER_CRASHED', message);
}

/** The `Retry-After` of a call whose worker was killed from outside: a fresh one is starting now. */
const KILLED_RETRY_AFTER_S = 1;

/**
 * The worker was killed from outside (an operator, the kernel's OOM killer, a chaos test) with
 * the call in flight: a preemption, not the function's failure. The same code as a crash, plus a
 * `Retry-After` that asks the caller to send the call again, as Modal restarts a preempted input
 * whatever the function's `retries`; the orchestrator's step client does (host-resend.ts).
 */
export function workerKilled(message: string): HostFailure {
  return failure('WORKER_CRASHED', message, KILLED_RETRY_AFTER_S);
}

/**
 * A timeout is retryable: the usual cause in this product is a slow upstream (the model API), and
 * the declaration's `retries` (0 by default) bounds how often a caller repeats it.
 */
export function functionTimeout(name: string, timeoutMs: number): HostFailure {
  return failure(
    'FUNCTION_TIMEOUT',
    `${name} did not finish within its timeout of ${timeoutMs} ms; the worker was stopped (raise limits.timeoutMs if the work is legitimately long)`,
  );
}

export function queueFull(name: string, queueSize: number, retryAfterS: number): HostFailure {
  return failure(
    'QUEUE_FULL',
    `${name} is at capacity: every worker is busy and ${queueSize} calls are already queued`,
    retryAfterS,
  );
}

export function workerStartFailed(name: string, reason: string, retryAfterS: number): HostFailure {
  return failure('WORKER_START_FAILED', `${name} could not start a worker: ${reason}`, retryAfterS);
}

export function functionUnavailable(
  name: string,
  reason: string,
  retryAfterS: number,
): HostFailure {
  return failure(
    'FUNCTION_UNAVAILABLE',
    `${name} is unavailable while its workers fail to start (${reason}); retrying in ${retryAfterS} s`,
    retryAfterS,
  );
}

export function functionDraining(name: string): HostFailure {
  return failure(
    'FUNCTION_DRAINING',
    `${name} is being replaced or shut down and takes no new calls; retry shortly`,
    1,
  );
}
