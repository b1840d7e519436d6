import { parseRetryAfter } from '../../runtime/retry.js';

/**
 * When one model call sends its request again: only when the model server itself says to. A 429
 * or 503 carrying `Retry-After` (or `retry-after-ms`) names the wait; `x-should-retry: true` (the
 * OpenAI API's own mark) asks for another try. Anything else is not retried here: the error goes
 * up with its `retryable` flag, and the graph's step retry policy, the one blind layer, decides.
 * ChatOpenAI itself makes one request (`maxRetries: 0`, factory.ts).
 */

/** Requests after the first that one model call may make, each at the server's request. */
export const MODEL_REQUEST_RETRIES = 2;
/** Longest wait the call accepts: a server asking for more is answered with an error at once. */
export const MODEL_RETRY_WAIT_CAP_MS = 30_000;
/** The wait after `x-should-retry: true` without a `Retry-After`: doubles from this, jitter-free. */
const SHOULD_RETRY_BASE_MS = 500;

/** Statuses whose `Retry-After` is the server saying "come back then" rather than a hint. */
const WAIT_STATUSES = new Set([429, 503]);

export interface RetryDirection {
  delayMs: number;
  /** Which of the server's signals asked for it. */
  reason: 'retry-after' | 'x-should-retry';
  status: number | undefined;
}

/** One request the model layer sends again, for the `agent` log. */
export interface ModelRetryEvent {
  /** The request that failed, from 1. */
  request: number;
  /** Requests the call may make at most. */
  maxRequests: number;
  status: number | undefined;
  code: string;
  message: string;
  reason: RetryDirection['reason'];
  delayMs: number;
}

interface HeaderSource {
  get?: (name: string) => string | null | undefined;
}

/**
 * What the server said about trying again, read from the error the openai SDK threw (its
 * `status` and `headers`, anywhere in the cause chain); undefined when it asked for nothing or
 * said `x-should-retry: false`.
 */
export function retryDirection(error: unknown, retry: number): RetryDirection | undefined {
  const { status, header } = responseOf(error);
  const shouldRetry = header('x-should-retry');
  if (shouldRetry === 'false') return undefined;
  const retryAfterMs = retryAfterOf(header);
  if (retryAfterMs !== undefined && status !== undefined && WAIT_STATUSES.has(status)) {
    return { delayMs: retryAfterMs, reason: 'retry-after', status };
  }
  if (shouldRetry === 'true') {
    return {
      delayMs: retryAfterMs ?? SHOULD_RETRY_BASE_MS * 2 ** retry,
      reason: 'x-should-retry',
      status,
    };
  }
  return undefined;
}

/** True when the server said outright not to try again (`x-should-retry: false`). */
export function serverRefusesRetry(error: unknown): boolean {
  return responseOf(error).header('x-should-retry') === 'false';
}

function retryAfterOf(header: (name: string) => string | undefined): number | undefined {
  const ms = header('retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  return parseRetryAfter(header('retry-after'));
}

/** The HTTP status and headers of the failed response, wherever in the cause chain they are. */
function responseOf(error: unknown): {
  status: number | undefined;
  header: (name: string) => string | undefined;
} {
  let status: number | undefined;
  let headers: unknown;
  let current: unknown = error;
  for (let depth = 0; current !== null && typeof current === 'object' && depth < 5; depth += 1) {
    const shape = current as { status?: unknown; headers?: unknown; cause?: unknown };
    if (status === undefined && typeof shape.status === 'number') status = shape.status;
    if (headers === undefined && shape.headers !== null && typeof shape.headers === 'object') {
      headers = shape.headers;
    }
    current = shape.cause;
  }
  const header = (name: string): string | undefined => {
    if (headers === undefined) return undefined;
    const source = headers as HeaderSource & Record<string, unknown>;
    const value =
      typeof source.get === 'function'
        ? source.get(name)
        : ((source[name] as unknown) ?? undefined);
    return typeof value === 'string' ? value : undefined;
  };
  return { status, header };
}
