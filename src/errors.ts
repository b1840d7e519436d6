import { ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes/index.js';

declare const relayed: unique symbol;

/**
 * A code another process sent — a worker host's or the run API's reply, a function's own error —
 * kept as it came. It may be outside the catalogue (a user's function names its own codes).
 */
export type RelayedCode = string & { readonly [relayed]: true };

export function relayedCode(code: string): RelayedCode {
  return code as RelayedCode;
}

/**
 * The one error shape of the product: a stable `code` from the catalogue (src/error-codes) a
 * program can branch on, a message a person can act on, and whether trying again may help (the
 * catalogue's default unless the throw knows better).
 */
export class AtolyeError extends Error {
  readonly code: ErrorCode | RelayedCode;
  readonly retryable: boolean;

  constructor(
    code: ErrorCode | RelayedCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AtolyeError';
    this.code = code;
    this.retryable = options.retryable ?? (isErrorCode(code) && ERROR_CODES[code].retryable);
  }

  toJSON(): { code: string; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

// Errors are read by shape below: one thrown in another realm (a VM context, a worker) or by a
// bundle with its own copy of this module fails `instanceof`.

/** Reads a message from anything thrown, without assuming it is an Error. */
export function errorMessage(error: unknown): string {
  if (error !== null && typeof error === 'object' && typeof (error as Error).message === 'string') {
    return (error as Error).message;
  }
  return String(error);
}

/** The `code` of anything thrown (ours, Node's `ENOENT`, a driver's): a non-empty string, or undefined. */
export function errorCodeOf(error: unknown): string | undefined {
  const code =
    error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

/** Whether anything thrown says another attempt may help: `retryable: true`, nothing less. */
export function isRetryable(error: unknown): boolean {
  return (
    error !== null &&
    typeof error === 'object' &&
    (error as { retryable?: unknown }).retryable === true
  );
}

/** Whether `error` is an AtolyeError, from this module's copy or another's. */
export function isAtolyeError(error: unknown): error is AtolyeError {
  return (
    error instanceof AtolyeError ||
    (errorCodeOf(error) !== undefined && (error as { name?: unknown }).name === 'AtolyeError')
  );
}
