/** Longest request id taken from a caller; a longer one is replaced by a fresh id. */
export const REQUEST_ID_MAX_LENGTH = 128;

/** Letters, digits and the punctuation of UUIDs, trace ids and base64: nothing a log line or header could misread. */
const SAFE_ID = /^[\w.:@/+=-]+$/;

/**
 * The request id a caller sent (`x-request-id`), when it is short and plain; undefined otherwise,
 * and the server makes its own. One rule for the run API and the worker host: the id lands in
 * every log line and response header of the request.
 */
export function acceptedRequestId(
  value: string | readonly string[] | undefined,
): string | undefined {
  return typeof value === 'string' && value.length <= REQUEST_ID_MAX_LENGTH && SAFE_ID.test(value)
    ? value
    : undefined;
}
