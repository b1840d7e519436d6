import { errorMessage } from '../errors.js';
import { currentLogContext } from './context.js';
import type { Redactor } from './redact.js';
import { currentErrorReporter } from './reporter.js';
import { stderrSink, type Sink } from './sinks.js';
import {
  LEVEL_RANK,
  logRecordSchema,
  type Channel,
  type ChannelLogger,
  type LogLevel,
  type LogMeta,
  type LogRecord,
} from './record.js';

/** A process's logging: the channel loggers, the sink for forwarded records, and shutdown. */
export interface Logging {
  /** The logger of one channel; cheap to call, the same object every time. */
  log(channel: Channel): ChannelLogger;
  /** Writes a record another process finished (a worker's), keeping its fields. */
  writeRecord(record: LogRecord): void;
  /**
   * Resolves once every line logged before the call is on disk and every rotated file is
   * gzipped. Afterwards warnings and errors go to stderr.
   */
  close(): Promise<void>;
}

export interface PipelineSettings {
  service: string;
  env: string;
  release: string;
  level: LogLevel;
  redact: Redactor;
}

/**
 * The road of one line: level filter → context → record → redaction → error reporter → sink.
 * Nothing reaches a sink unredacted.
 */
export class Pipeline implements Logging {
  private readonly loggers = new Map<Channel, ChannelLogger>();
  private threshold: number;
  private sink: Sink;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly settings: PipelineSettings,
    sink: Sink,
  ) {
    this.threshold = LEVEL_RANK[settings.level];
    this.sink = sink;
  }

  log(channel: Channel): ChannelLogger {
    let logger = this.loggers.get(channel);
    if (!logger) {
      logger = {
        error: (msg, meta) => this.emit('error', channel, msg, meta),
        warn: (msg, meta) => this.emit('warn', channel, msg, meta),
        info: (msg, meta) => this.emit('info', channel, msg, meta),
        debug: (msg, meta) => this.emit('debug', channel, msg, meta),
      };
      this.loggers.set(channel, logger);
    }
    return logger;
  }

  writeRecord(record: LogRecord): void {
    const parsed = logRecordSchema.safeParse(record);
    if (!parsed.success) {
      this.emit('warn', 'system', 'dropped a forwarded log record that is not a valid record', {
        problems: parsed.error.issues.map(
          (issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`,
        ),
      });
      return;
    }
    // The sender filtered by level; after close only warnings and errors go on, to stderr.
    if (this.closing && LEVEL_RANK[record.level] > this.threshold) return;
    // Redacted again: the sending process may not know this process's secrets.
    const redacted = this.settings.redact(record);
    // Workers run without an error reporter of their own: their errors are reported here, once.
    if (redacted.level === 'error' && !redacted.sentryEventId) this.report(redacted, undefined);
    this.sink.write(redacted);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const sink = this.sink;
    this.sink = stderrSink;
    this.threshold = Math.min(this.threshold, LEVEL_RANK.warn);
    await sink.close();
  }

  private emit(level: LogLevel, channel: Channel, msg: string, meta: LogMeta | undefined): void {
    if (LEVEL_RANK[level] > this.threshold) return;
    const { service, env, release, redact } = this.settings;
    const fields: LogMeta | undefined = meta instanceof Error ? { err: meta } : meta;
    const fixed = {
      ts: new Date().toISOString(),
      level,
      channel,
      msg: String(msg),
      service,
      env,
      release,
    };
    // Fixed fields first in every line and never overwritten by the caller's.
    const record = redact(
      Object.assign({}, fixed, currentLogContext(), fields, fixed) as LogRecord,
    );
    if (level === 'error') this.report(record, fields);
    this.sink.write(record);
  }

  private report(record: LogRecord, fields: LogMeta | undefined): void {
    const reporter = currentErrorReporter();
    if (!reporter) return;
    const error = Object.values(fields ?? {}).find(
      (value): value is Error => value instanceof Error,
    );
    try {
      const eventId = reporter(record, error);
      if (eventId) record.sentryEventId = eventId;
    } catch (failure) {
      record.errorReporterFailed = this.settings.redact(errorMessage(failure));
    }
  }
}
