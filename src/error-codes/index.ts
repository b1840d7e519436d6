import type { ErrorStatus } from './entry.js';
import { HOST_ERRORS } from './host.js';
import { RUN_API_ERRORS } from './run-api.js';
import { RUN_ERRORS } from './run.js';
import { TOOL_ERRORS } from './tools.js';
import { WORKSPACE_ERRORS } from './workspace.js';

export type { ErrorCodeEntry, ErrorStatus } from './entry.js';

/**
 * Every error code of the product with its HTTP status and whether another attempt may help. The
 * one table: AtolyeError takes only its keys (and its default `retryable`), the run API and the
 * worker host answer with its statuses, and docs/api/errors.md is generated from it with each
 * code's meaning (meanings.ts). Written in parts by where a code arises; a code belongs to one
 * part (a test checks).
 */
export const ERROR_CODES = {
  ...RUN_API_ERRORS,
  ...WORKSPACE_ERRORS,
  ...HOST_ERRORS,
  ...RUN_ERRORS,
  ...TOOL_ERRORS,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** The status a client gets for `code`: the catalogue's, or 500 for a code it does not hold. */
export function statusOfCode(code: string): ErrorStatus {
  return isErrorCode(code) ? ERROR_CODES[code].status : 500;
}
