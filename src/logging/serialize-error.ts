/** An Error as plain data: what a log line or a forwarded record can carry. */
export interface SerializedError {
  name: string;
  message: string;
  code?: unknown;
  stack?: string;
  cause?: unknown;
  [field: string]: unknown;
}

/**
 * Error's own fields are not enumerable, so JSON.stringify(error) gives {}. Keeps name, message,
 * code, stack and cause, plus any enumerable fields the error carries (e.g. `retryable`, `status`).
 */
export function serializeError(error: Error): SerializedError {
  const plain: SerializedError = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) plain.code = code;
  if (error.stack !== undefined) plain.stack = error.stack;
  if (error.cause !== undefined) plain.cause = error.cause;
  for (const [key, value] of Object.entries(error)) {
    if (!(key in plain)) plain[key] = value;
  }
  return plain;
}
