/**
 * The one error shape of the product: a stable `code` a program can branch on, a message a person
 * can act on, and whether trying again may help.
 */
export class AtolyeError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AtolyeError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  toJSON(): { code: string; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** Reads a message from anything thrown, without assuming it is an Error. */
export function errorMessage(error: unknown): string {
  // Checked by shape: errors from another realm (a VM context, a worker) fail `instanceof Error`.
  if (error !== null && typeof error === 'object' && typeof (error as Error).message === 'string') {
    return (error as Error).message;
  }
  return String(error);
}
