import fs from 'node:fs';

/** Errors that say the disk (or the user's quota) has no room: they pass once room is made. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT']);
/** After a write found no room, lines are dropped this long before a write is tried again. */
export const DISK_FULL_PAUSE_MS = 1_000;
const NEWLINE = 0x0a;
const NEWLINE_BUFFER = Buffer.from('\n');

type Done = (error: NodeJS.ErrnoException | null, written: number) => void;
type CloseCallback = (error: NodeJS.ErrnoException | null) => void;

export interface DiskFullEvents {
  /** A write found no room: from now on lines are dropped, and tried again after a pause. */
  full(error: NodeJS.ErrnoException): void;
  /** A write landed again; `droppedLines` lines were lost since `cause` stopped them. */
  resumed(droppedLines: number, cause: NodeJS.ErrnoException): void;
}

/**
 * The `write`/`writev` of a channel's write streams (their `fs` option, beside FileTracker's
 * open and close), for a disk that runs full. An fs.WriteStream whose write fails errors and is
 * destroyed, and file-stream-rotator never opens another until it rotates: one ENOSPC ended a
 * channel's logging for the life of the process. Here a write that finds no room is dropped
 * instead (counted, by its lines) and the stream is told it landed, so the stream lives on; for
 * DISK_FULL_PAUSE_MS after that every write is dropped without trying, then the next one tries.
 * Other errors fail the stream as before.
 */
export class DiskFullGuard {
  private full: NodeJS.ErrnoException | undefined;
  private retryAt = 0;
  private dropped = 0;
  /** The file whose last landed write ended inside a line: a write cut short, then dropped. */
  private cutFd: number | undefined;
  private midLineFd: number | undefined;

  constructor(
    private readonly events: DiskFullEvents,
    private readonly pauseMs = DISK_FULL_PAUSE_MS,
  ) {}

  readonly write = (
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number | null,
    callback: (error: NodeJS.ErrnoException | null, written: number, buffer: Buffer) => void,
  ): void =>
    this.attempt(
      fd,
      [buffer.subarray(offset, offset + length)],
      (done) => fs.write(fd, buffer, offset, length, position, done),
      (error, written) => callback(error, written, buffer),
    );

  readonly writev = (
    fd: number,
    buffers: Buffer[],
    position: number | null,
    callback: (error: NodeJS.ErrnoException | null, written: number, buffers: Buffer[]) => void,
  ): void =>
    this.attempt(
      fd,
      buffers,
      (done) => fs.writev(fd, buffers, position, done),
      (error, written) => callback(error, written, buffers),
    );

  /**
   * The streams' `fs` option: `base` (its open and close) with this guard's writes, and a close
   * that forgets the file (its descriptor's number may come back for another file).
   */
  over<Base extends { close(fd: number, callback: CloseCallback): void }>(base: Base): Base {
    return {
      ...base,
      write: this.write,
      writev: this.writev,
      close: (fd: number, callback: CloseCallback) => {
        if (this.cutFd === fd) this.cutFd = undefined;
        if (this.midLineFd === fd) this.midLineFd = undefined;
        base.close(fd, callback);
      },
    };
  }

  private attempt(fd: number, chunks: Buffer[], write: (done: Done) => void, callback: Done): void {
    const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    if (this.full && performance.now() < this.retryAt) {
      this.drop(fd, chunks);
      callback(null, size);
      return;
    }
    const landed: Done = (error, written) => {
      if (error && NO_ROOM.has(error.code ?? '')) {
        this.noRoom(error);
        this.drop(fd, chunks);
        callback(null, size);
        return;
      }
      if (!error) this.wrote(fd, chunks, written);
      callback(error, written);
    };
    if (this.cutFd !== fd) {
      write(landed);
      return;
    }
    // The line cut short by the full disk gets its end, so the next line starts a line of its own.
    fs.write(fd, NEWLINE_BUFFER, 0, 1, null, (error) => {
      if (error) return landed(error, 0);
      this.cutFd = undefined;
      write(landed);
    });
  }

  private noRoom(error: NodeJS.ErrnoException): void {
    this.retryAt = performance.now() + this.pauseMs;
    if (this.full) return;
    this.full = error;
    this.events.full(error);
  }

  private drop(fd: number, chunks: Buffer[]): void {
    for (const chunk of chunks) {
      for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) {
        this.dropped += 1;
      }
    }
    if (this.midLineFd === fd) this.cutFd = fd;
  }

  private wrote(fd: number, chunks: Buffer[], written: number): void {
    if (written > 0) this.midLineFd = lastByte(chunks, written) === NEWLINE ? undefined : fd;
    const cause = this.full;
    if (!cause) return;
    const dropped = this.dropped;
    this.full = undefined;
    this.dropped = 0;
    this.events.resumed(dropped, cause);
  }
}

/** The byte at `written - 1` of the chunks taken as one. */
function lastByte(chunks: Buffer[], written: number): number | undefined {
  let left = written;
  for (const chunk of chunks) {
    if (left <= chunk.length) return chunk[left - 1];
    left -= chunk.length;
  }
  return undefined;
}
