import { AsyncResource } from 'node:async_hooks';
import { withLogContext, type Logging } from '../../logging/index.js';
import {
  LEVEL_RANK,
  type ChannelLogger,
  type LogContext,
  type LogLevel,
  type LogRecord,
} from '../../logging/record.js';

/**
 * What the host needs from the logging module: a `system` channel, a writer for records that
 * workers forwarded (the host is the only process that writes channel files), and the request
 * context. Kept as a port so the host can run with any implementation, or none.
 */
export interface HostLogger {
  readonly system: ChannelLogger;
  /** Writes a complete record (already carrying its channel and context) as the host's own line. */
  writeRecord(record: LogRecord): void;
  /** Runs `fn` with `context` as the log context of everything beneath it. */
  withContext<T>(context: LogContext, fn: () => T): T;
}

/**
 * The host's logger over the process's logging. Workers forward every record they make; the
 * host drops those below `level` (the logging pipeline trusts a forwarding sender to filter).
 */
export function hostLogger(logging: Logging, options: { level?: LogLevel } = {}): HostLogger {
  const threshold = LEVEL_RANK[options.level ?? 'debug'];
  return {
    system: logging.log('system'),
    writeRecord: (record) => {
      if (LEVEL_RANK[record.level] <= threshold) logging.writeRecord(record);
    },
    withContext: withLogContext,
  };
}

/**
 * The host's `env` and `release`: given to each worker and stamped on the records it forwards
 * (whose `service` is the function's name).
 */
export interface RecordStamp {
  env: string;
  release: string;
}

const noop = (): void => undefined;
const silentChannel: ChannelLogger = { error: noop, warn: noop, info: noop, debug: noop };

/** A logger that drops everything: the default when the host is embedded without logging. */
export const silentLogger: HostLogger = {
  system: silentChannel,
  writeRecord: noop,
  withContext: (_context, fn) => fn(),
};

/** Captured at module load, outside any request: the async context of the host itself. */
const hostScope = new AsyncResource('atolye.host');

/**
 * Runs `fn` outside whatever request triggered it. Workers, timers and their callbacks created
 * here carry no request's context, so a worker started for one call does not stamp that call's
 * requestId on every line it logs for the rest of its life.
 */
export function outsideRequest<T>(fn: () => T): T {
  return hostScope.runInAsyncScope(fn);
}
