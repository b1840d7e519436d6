import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogContext } from './record.js';

const storage = new AsyncLocalStorage<Readonly<LogContext>>();
const EMPTY: Readonly<LogContext> = Object.freeze({});

/**
 * Runs `fn` with `context` merged over the current one, so every line logged beneath it (across
 * awaits, timers and callbacks) carries those fields. Undefined values leave the outer value.
 */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  const merged: LogContext = { ...currentLogContext() };
  for (const [key, value] of Object.entries(context) as [keyof LogContext, string | undefined][]) {
    if (value !== undefined) merged[key] = value;
  }
  return storage.run(Object.freeze(merged), fn);
}

/** The context of the running entry point ({} outside any). */
export function currentLogContext(): Readonly<LogContext> {
  return storage.getStore() ?? EMPTY;
}
