import type { Context } from 'hono';
import { ERROR_CODES, type ErrorCode } from '../../error-codes/index.js';
import type { ApiEnv } from './types.js';

/** What handlers put on a request's answer and its log line, shared by app.ts and the routes. */

/** The error body `{ error: { code, message, retryable } }`, with the code's status from the catalogue. */
export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  retryable: boolean = ERROR_CODES[code].retryable,
): Response {
  return c.json({ error: { code, message, retryable } }, ERROR_CODES[code].status);
}

/** Sets the ids the `user_interactions` line names, once a handler knows them. */
export function noteIds(c: Context<ApiEnv>, ids: { threadId?: string; runId?: string }): void {
  if (ids.threadId) c.set('threadId', ids.threadId);
  if (ids.runId) c.set('runId', ids.runId);
}
