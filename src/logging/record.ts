import * as z from 'zod';

/** The four channel files. Every error-level record of any channel is also written to `errors`. */
export const CHANNELS = ['system', 'agent', 'user_interactions', 'errors'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Most to least severe; a logger at level L writes L and everything above it. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Severity rank as winston's npm levels count it (0 = most severe). */
export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = {
  error: 0,
  warn: 1,
  info: 2,
  debug: 5,
};

/** The request context an entry point sets once; every line beneath it carries these fields. */
export const logContextSchema = z.object({
  requestId: z.string().optional(),
  threadId: z.string().optional(),
  runId: z.string().optional(),
  step: z.string().optional(),
  invocationId: z.string().optional(),
  function: z.string().optional(),
  sentryEventId: z.string().optional(),
});
export type LogContext = z.infer<typeof logContextSchema>;

/**
 * One finished log line: fixed fields, then the context, then the caller's fields. Also the shape
 * workers forward to the host, which is why it is validated when it crosses a process boundary.
 */
export const logRecordSchema = z.looseObject({
  ts: z.string(),
  level: z.enum(LOG_LEVELS),
  channel: z.enum(CHANNELS),
  msg: z.string(),
  service: z.string(),
  env: z.string(),
  release: z.string(),
  ...logContextSchema.shape,
});
export type LogRecord = z.infer<typeof logRecordSchema>;

/** Extra fields of one line. An Error under any key is written as { name, message, code, stack }. */
export type LogMeta = Record<string, unknown>;

export interface ChannelLogger {
  error(msg: string, meta?: LogMeta): void;
  warn(msg: string, meta?: LogMeta): void;
  info(msg: string, meta?: LogMeta): void;
  debug(msg: string, meta?: LogMeta): void;
}

/**
 * Called once per error-level record, after redaction; returns the id of the event it reported
 * (written to the record as `sentryEventId`). `error` is the first Error found in the caller's
 * fields, for reporters that want the original stack.
 */
export type ErrorReporter = (record: LogRecord, error?: Error) => string | undefined;

/** The fields no caller field may overwrite. */
export const FIXED_FIELDS = ['ts', 'level', 'channel', 'msg', 'service', 'env', 'release'] as const;
