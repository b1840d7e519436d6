import type { ErrorReporter } from './record.js';

let reporter: ErrorReporter | undefined;

/**
 * Registers the process's error reporter (the Sentry module does, so every error line carries
 * its `sentryEventId`; logging itself knows nothing of Sentry). `undefined` removes it.
 */
export function setErrorReporter(fn: ErrorReporter | undefined): void {
  reporter = fn;
}

export function currentErrorReporter(): ErrorReporter | undefined {
  return reporter;
}
