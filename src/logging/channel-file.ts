import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { Archiver } from './archive.js';
import { DiskFullGuard } from './disk-full.js';
import { FileTracker } from './file-tracker.js';
import type { AtolyeConfig } from '../config/schema.js';
import type { Channel } from './record.js';

/** triple-beam's MESSAGE: the finished line a winston transport writes. */
export const MESSAGE = Symbol.for('message');

const BATCH_BYTES = 16 * 1024;

export type RotationSettings = Pick<
  AtolyeConfig['logging'],
  'maxSize' | 'maxFiles' | 'datePattern' | 'zippedArchive'
>;

/**
 * One channel's files: `<dir>/<channel>-<date>[.<n>].log`, rotated daily and by size, rotated
 * files gzipped, retention and audit trail in `<dir>/.audit/<channel>.json`, and a `<channel>.log`
 * symlink to the live file. This is the only writer of these files in the whole system.
 *
 * On a full disk the channel reports the error (`onError`), drops its lines while there is no
 * room, and writes again once there is (`onResumed` tells how many lines were dropped).
 */
export class ChannelFile {
  private readonly logger: winston.Logger;
  private readonly transport: DailyRotateFile;
  private readonly tracker = new FileTracker();
  private readonly archiver: Archiver;
  private batch: string[] = [];
  private batchBytes = 0;
  private flushQueued = false;

  constructor(
    dir: string,
    channel: Channel,
    settings: RotationSettings,
    onError: (error: Error) => void,
    onResumed: (droppedLines: number, cause: Error) => void = () => undefined,
  ) {
    const guard = new DiskFullGuard({ full: onError, resumed: onResumed });
    const auditFile = path.join(dir, '.audit', `${channel}.json`);
    const earlierFiles = readAuditedFiles(auditFile);
    this.archiver = new Archiver(onError);
    this.transport = new DailyRotateFile({
      dirname: dir,
      filename: `${channel}-%DATE%`,
      extension: '.log',
      datePattern: settings.datePattern,
      maxSize: maxSizeOption(settings.maxSize),
      maxFiles: settings.maxFiles,
      auditFile,
      createSymlink: true,
      symlinkName: `${channel}.log`,
      zippedArchive: false, // see archive.ts for why gzip is ours
      options: { flags: 'a', fs: guard.over(this.tracker.fs) },
    });
    // file-stream-rotator re-emits stream errors on a bare EventEmitter: unheard, they would throw.
    this.transport.logStream.on('error', onError);
    this.transport.on('new', (file: string) => this.tracker.watch(file));
    this.transport.on('logRemoved', (file: string) =>
      this.archiver.remove(file, this.tracker.settled(file)),
    );
    if (settings.zippedArchive) {
      this.transport.on('rotate', (oldFile: string) =>
        this.archiver.archive(oldFile, this.tracker.closed(oldFile)),
      );
    }
    this.settleEarlierRun(earlierFiles, readAuditedFiles(auditFile), settings.zippedArchive);
    this.logger = winston.createLogger({
      level: 'debug',
      format: winston.format((info) => info)(), // lines arrive finished: see write()
      transports: [this.transport],
      exitOnError: false,
    });
    this.logger.on('error', onError);
  }

  /**
   * Files of earlier runs, in the audit trail before this run started (`before`) and now (`after`,
   * this run's live file last). Retention already ran while the transport was being built, before
   * anyone could listen to its 'logRemoved' (winston-daily-rotate-file misses it as well): drop
   * the archives of files it expired. And the live file of an earlier run is never rotated by this
   * one: archive it now.
   */
  private settleEarlierRun(before: string[], after: string[], zipped: boolean): void {
    const current = after.at(-1);
    for (const file of before) {
      if (!after.includes(file)) {
        this.archiver.remove(file, Promise.resolve());
      } else if (zipped && file !== current && existsSync(file) && !existsSync(`${file}.gz`)) {
        this.archiver.archive(file, Promise.resolve());
      }
    }
  }

  /** Appends one finished line. */
  write(line: string): void {
    this.batch.push(line);
    this.batchBytes += line.length;
    if (this.batchBytes >= BATCH_BYTES) {
      this.flush();
    } else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  /**
   * Lines of one turn of the event loop go down as one chunk: file-stream-rotator formats a
   * moment.js date on every write and winston's stream pipeline costs per write, together several
   * times the cost of building a line. A chunk is small enough that a file overshoots maxSize by
   * at most BATCH_BYTES.
   */
  private flush(): void {
    if (this.batch.length === 0) return;
    const chunk = this.batch.join('\n');
    this.batch = [];
    this.batchBytes = 0;
    this.logger.log({ level: 'info', message: '', [MESSAGE]: chunk });
  }

  /**
   * Resolves when every line is on disk and every gzip has ended. winston's 'finish' alone only
   * means every line reached the transport, which hands it to an fs.WriteStream and returns.
   */
  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve) => {
      this.logger.once('finish', resolve);
      this.logger.end();
    });
    this.transport.close?.(); // ends the live stream; harmless if winston's unpipe did already
    await this.tracker.allClosed();
    await this.archiver.idle();
  }
}

/** winston-daily-rotate-file ignores a unit-less size string; the schema allows bytes ("500"). */
function maxSizeOption(size: string): string | number {
  return /^\d+$/.test(size) ? Number(size) : size.toLowerCase();
}

function readAuditedFiles(auditFile: string): string[] {
  try {
    const audit = JSON.parse(readFileSync(auditFile, 'utf8')) as { files?: { name?: unknown }[] };
    return (audit.files ?? [])
      .map((file) => file.name)
      .filter((name): name is string => typeof name === 'string');
  } catch {
    return []; // first run, or an unreadable trail: nothing earlier to archive
  }
}
