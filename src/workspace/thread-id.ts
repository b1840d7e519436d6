import * as z from 'zod';
import { AtolyeError } from '../errors.js';

/**
 * The one rule for thread ids. An id names the thread's folder under `workspace.root` and its
 * bare repository (`.atolye-git/<id>.git`), so it must stay one plain path segment on every file
 * system: no separator, no leading dot (`.`, `..`, `.atolye-git`) and no `..` anywhere. The run
 * API, the steps and maintenance all check ids with this module, so an id the API accepts is one
 * every step takes. The API's own ids are UUIDs, which fit.
 */

export const THREAD_ID_MAX_LENGTH = 128;

/** What a thread id may be, in words for error messages. */
export const THREAD_ID_RULE = `1–${THREAD_ID_MAX_LENGTH} letters, digits, ".", "_" or "-", starting with a letter or digit, with no ".."`;

// One expression, so that the OpenAPI document states the whole rule as its `pattern`.
export const THREAD_ID_PATTERN = new RegExp(
  `^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9._-]{0,${THREAD_ID_MAX_LENGTH - 1}}$`,
);

/** A thread id in a request: a path parameter, a body's `thread_id`. */
export const ThreadId = z
  .string()
  .regex(THREAD_ID_PATTERN, { error: `a thread id is ${THREAD_ID_RULE}` });

export function isThreadId(value: unknown): value is string {
  return typeof value === 'string' && THREAD_ID_PATTERN.test(value);
}

/** Why `value` is refused, with the rule, for a client or a log line. */
export function threadIdRefusal(value: unknown): string {
  const shown = JSON.stringify(value ?? null);
  const brief = shown.length > 80 ? `${shown.slice(0, 60)}…` : shown;
  return `${brief} is not a thread id: use ${THREAD_ID_RULE}`;
}

/** Refuses anything but a thread id, as a bad request (INVALID_REQUEST). */
export function assertThreadId(value: unknown): asserts value is string {
  if (!isThreadId(value)) throw new AtolyeError('INVALID_REQUEST', threadIdRefusal(value));
}
