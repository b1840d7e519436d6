/**
 * Whether a failed call may succeed if it is made again, and when the host said to come back. The
 * invoke client only classifies: it makes one attempt per call, and the caller's retry layer (the
 * agent graph's step retry policy) decides whether and when to try again. Kept apart from the
 * client so the rules can be read, and tested, without a socket in sight.
 */

/** Host replies that say "busy, come back": retryable whatever the body says. */
const BUSY_STATUSES = new Set([429, 503]);
/** Client mistakes: the same request will fail the same way, whatever the body says. */
const NEVER_RETRY_STATUSES = new Set([400, 401, 403, 404, 405, 413, 422]);
/** Statuses a proxy in front of the host answers with a page of its own when the host is away. */
const GATEWAY_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Socket-level failures worth another attempt: the host restarted, a worker crashed mid-reply, a
 * keep-alive connection went stale. DNS failures (ENOTFOUND) are a configuration error and are not
 * here.
 */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TRANSIENT_NETWORK_MESSAGES = ['socket hang up', 'other side closed'];

/** Whether a reply with a well-formed error body is worth another attempt. */
export function isRetryableReply(status: number, bodySaysRetryable: boolean): boolean {
  if (BUSY_STATUSES.has(status)) return true;
  if (NEVER_RETRY_STATUSES.has(status)) return false;
  return bodySaysRetryable;
}

/** Whether a reply whose body could not be read as the wire format is worth another attempt. */
export function isRetryableBadReply(status: number): boolean {
  return GATEWAY_STATUSES.has(status);
}

/**
 * Errors from fetch may come from another realm (undici inside Node, a test VM), where
 * `instanceof Error` is false; look at their shape instead.
 */
export interface ErrorLike {
  message: string;
  code?: unknown;
  cause?: unknown;
}
export function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** The socket error code (ECONNRESET, UND_ERR_SOCKET, …) somewhere in an error's cause chain. */
export function transientNetworkCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; isErrorLike(current) && depth < 5; depth += 1) {
    const code = typeof current.code === 'string' ? current.code : undefined;
    if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) return code;
    const message = current.message;
    if (TRANSIENT_NETWORK_MESSAGES.some((text) => message.includes(text))) return code ?? message;
    current = current.cause;
  }
  return undefined;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  // An HTTP date names a weekday and month; Date.parse alone also takes "-5" as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
