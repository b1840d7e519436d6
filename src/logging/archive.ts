import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { appendFile, readFile, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * Gzips rotated channel files and completes retention, only once each file is complete, and lets
 * close() wait for both.
 *
 * winston-daily-rotate-file's own `zippedArchive` is not used. It starts on 'rotate', which
 * file-stream-rotator emits synchronously right after end() on the old stream, so the gzip can
 * read before that stream's buffered writes land and then unlink the source, losing the tail. It
 * skips files whose stream has not opened yet (seen here: a burst that rotates within one tick
 * leaves every rotated file uncompressed). And nothing can wait for it: exiting on winston's
 * 'finish' left truncated .gz files beside their sources, and lost the lines still buffered.
 */
export class Archiver {
  private readonly jobs = new Set<Promise<void>>();
  private readonly scheduled = new Set<string>();
  private readonly removed = new Set<string>();

  constructor(private readonly onError: (error: Error) => void) {}

  /** Gzips `file` to `file.gz` once `complete` resolves, then removes `file`. */
  archive(file: string, complete: Promise<void>): void {
    if (this.scheduled.has(file)) return;
    this.scheduled.add(file);
    this.track(
      complete
        .then(() => (this.removed.has(file) ? undefined : gzip(file)))
        // Retention may have dropped it while it was being gzipped.
        .then(() => (this.removed.has(file) ? rm(`${file}.gz`, { force: true }) : undefined)),
    );
  }

  /**
   * Retention dropped `file`. file-stream-rotator unlinks it only if it exists, but under load a
   * stream's open can lag behind a burst of writes by more than `maxFiles` rotations, and the file
   * then appears after its removal. So: once its stream has closed, remove it and its archive.
   */
  remove(file: string, complete: Promise<void>): void {
    this.removed.add(file);
    this.track(
      complete.then(async () => {
        await rm(file, { force: true });
        await rm(`${file}.gz`, { force: true });
      }),
    );
  }

  private track(work: Promise<void>): void {
    const job = work
      .catch((error: unknown) => this.onError(error as Error))
      .finally(() => this.jobs.delete(job));
    this.jobs.add(job);
  }

  /** Resolves when no gzip or removal is pending. */
  async idle(): Promise<void> {
    while (this.jobs.size > 0) await Promise.all([...this.jobs]);
  }
}

async function gzip(file: string): Promise<void> {
  const target = `${file}.gz`;
  const partial = `${target}.partial`;
  try {
    // Written aside and renamed, so a crash never leaves a truncated archive under the real name.
    await pipeline(createReadStream(file), createGzip(), createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    // Retention removed the file first: nothing left to keep.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (existsSync(target)) {
    // A run without an audit trail can reuse a name; gzip members concatenate (RFC 1952).
    await appendFile(target, await readFile(partial));
    await rm(partial);
  } else {
    await rename(partial, target);
  }
  // Forced: retention may have unlinked it while we read it.
  await rm(file, { force: true });
}
