import { mkdirSync } from 'node:fs';
import winston from 'winston';
import { AtolyeError, errorMessage } from '../errors.js';
import { ChannelFile, MESSAGE, type RotationSettings } from './channel-file.js';
import { jsonLine, prettyLine } from './format.js';
import { CHANNELS, LOG_LEVELS, type Channel, type LogRecord } from './record.js';

/** Where finished (redacted, JSON-ready) records go. */
export interface Sink {
  write(record: LogRecord): void;
  /** Resolves when everything written so far has reached its destination. */
  close(): Promise<void>;
}

/** The four channel files; an error-level record of any channel is also written to `errors`. */
export class ChannelFilesSink implements Sink {
  private readonly files: Record<Channel, ChannelFile>;
  /** The last record written: whose process the note of a channel written again speaks for. */
  private last: LogRecord | undefined;

  constructor(dir: string, settings: RotationSettings, onError: (error: Error) => void) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new AtolyeError(
        'LOG_DIR_UNWRITABLE',
        `Cannot create the log directory ${dir}: ${errorMessage(error)}. Set logging.dir (ATOLYE_LOG_DIR) to a writable directory.`,
        { cause: error },
      );
    }
    this.files = Object.fromEntries(
      CHANNELS.map((channel) => [
        channel,
        new ChannelFile(dir, channel, settings, onError, (dropped, cause) =>
          this.resumed(channel, dropped, cause),
        ),
      ]),
    ) as Record<Channel, ChannelFile>;
  }

  write(record: LogRecord): void {
    this.last = record;
    const line = jsonLine(record);
    this.files[record.channel].write(line);
    if (record.level === 'error' && record.channel !== 'errors') this.files.errors.write(line);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.files).map((file) => file.close()));
  }

  /** A `system` line once a channel's file takes lines again after a full disk: what was lost. */
  private resumed(channel: Channel, droppedLines: number, cause: Error): void {
    const code = (cause as NodeJS.ErrnoException).code ?? cause.name;
    this.write({
      ts: new Date().toISOString(),
      level: 'warn',
      channel: 'system',
      msg: `log file of ${channel} written again: ${droppedLines} lines were dropped while it had no room (${code})`,
      service: this.last?.service ?? 'atolye',
      env: this.last?.env ?? '',
      release: this.last?.release ?? '',
      logChannel: channel,
      droppedLines,
      code,
    });
  }
}

/** Human lines on stderr (stdout stays free for command output), coloured on a terminal. */
export class ConsoleSink implements Sink {
  private readonly logger = winston.createLogger({
    level: 'debug',
    format: winston.format((info) => info)(),
    transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
  });

  constructor(
    private readonly colors: boolean = process.stderr.isTTY === true && !process.env.NO_COLOR,
  ) {}

  write(record: LogRecord): void {
    this.logger.log({
      level: record.level,
      message: '',
      [MESSAGE]: prettyLine(record, this.colors),
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.logger.once('finish', resolve);
      this.logger.end();
    });
  }
}

/** Hands each record to another process (a worker's records go to the host, the only writer). */
export class ForwardSink implements Sink {
  private failed = false;

  constructor(private readonly forward: (record: LogRecord) => void) {}

  write(record: LogRecord): void {
    try {
      this.forward(record);
    } catch (error) {
      // The host is gone (e.g. its IPC channel closed): keep the line on stderr rather than lose it.
      if (!this.failed) {
        this.failed = true;
        stderrSink.write({
          ...record,
          level: 'error',
          channel: 'system',
          msg: `log forwarding failed: ${errorMessage(error)}`,
        });
      }
      stderrSink.write(record);
    }
  }

  async close(): Promise<void> {}
}

/** JSON lines on stderr: before logging is set up, and after it is closed. */
export const stderrSink: Sink = {
  write(record: LogRecord): void {
    process.stderr.write(`${jsonLine(record)}\n`);
  },
  async close(): Promise<void> {},
};

/** Writes every record to each of `sinks`. */
export function fanOut(sinks: Sink[]): Sink {
  return {
    write: (record) => sinks.forEach((sink) => sink.write(record)),
    close: async () => {
      await Promise.all(sinks.map((sink) => sink.close()));
    },
  };
}
