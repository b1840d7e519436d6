/**
 * The HTTP statuses a code may carry: 4xx when the client caused the error, 5xx only for a fault
 * of the server or of a service behind it.
 */
export type ErrorStatus =
  400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504;

/** What the catalogue holds of one code (its meaning is in meanings.ts). */
export interface ErrorCodeEntry {
  /** The status of an answer with this code, from the run API or the worker host. */
  readonly status: ErrorStatus;
  /** The default; a throw may say otherwise when it knows better (a timeout, a busy file). */
  readonly retryable: boolean;
}
