import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { appendFile, readFile, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * Gzips rotated channel files, only once they are complete, and lets close() wait for it.
 *
 * winston-daily-rotate-file's own `zippedArchive` is not used, because it starts on 'rotate',
 * which file-stream-rotator emits synchronously right after end() on the old stream: the gzip
 * may read while that stream still holds buffered writes and then unlinks the source (the tail
 * is lost); it skips files whose stream has not opened yet (a burst that rotates within one tick
 * leaves them uncompressed); and nothing can wait for it, so exiting after winston's 'finish'
 * leaves truncated .gz files beside their sources.
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
    const job = complete
      .then(() => (this.removed.has(file) ? undefined : gzip(file)))
      .then(() => (this.removed.has(file) ? rm(`${file}.gz`, { force: true }) : undefined))
      .catch((error: unknown) => this.onError(error as Error))
      .finally(() => this.jobs.delete(job));
    this.jobs.add(job);
  }

  /** Retention dropped `file`: drop its archive too, now or when its gzip ends. */
  remove(file: string): void {
    this.removed.add(file);
    rm(`${file}.gz`, { force: true }).catch((error: unknown) => this.onError(error as Error));
  }

  /** Resolves when no gzip is running. */
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
