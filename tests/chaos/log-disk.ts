import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A small tmpfs for the product's log folder, and a file that fills it: a log disk that runs
 * full while the product writes to it. Mounting needs root (CAP_SYS_ADMIN); `mountLogDisk`
 * throws, naming that, where it cannot.
 */
export interface LogDisk {
  dir: string;
  sizeMb: number;
  /** Fills what is left of the disk (writing until ENOSPC); answers the bytes it added. */
  fill(): number;
  /** Removes the filler: the disk has room again. */
  free(): void;
  /** Bytes free now. */
  freeBytes(): number;
  /** Unmounts it (lazily, if a process still holds a file there); safe to call twice. */
  unmount(): void;
}

/** No tmpfs could be mounted (not root): the scenario that needs one is skipped, not broken. */
export class LogDiskUnavailable extends Error {
  readonly code = 'CHAOS_LOG_DISK_UNAVAILABLE';
  readonly retryable = false;
}

const FILLER = '.chaos-filler';
const CHUNK = Buffer.alloc(256 * 1024);
/** Every disk mounted and not yet unmounted: unmountAll() ends them on any way out. */
const mounted = new Set<LogDisk>();

/** Unmounts every log disk still mounted (the hard deadline's exit, an uncaught error). */
export function unmountAll(): void {
  for (const disk of mounted) disk.unmount();
}
process.once('exit', unmountAll);

export function mountLogDisk(dir: string, sizeMb: number): LogDisk {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new LogDiskUnavailable(
      `could not mount a ${sizeMb} MB tmpfs at ${dir} (it needs root): ${stderr || String(error)}`,
      { cause: error },
    );
  }
  const filler = path.join(dir, FILLER);
  const disk: LogDisk = {
    dir,
    sizeMb,
    fill() {
      const fd = openSync(filler, 'a');
      let added = 0;
      try {
        // Large writes first, then smaller ones for the last pages (tmpfs allocates 4 KiB pages).
        for (let size = CHUNK.length; size >= 4096; size /= 2) {
          try {
            for (;;) added += writeSync(fd, CHUNK.subarray(0, size));
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          }
        }
      } finally {
        closeSync(fd);
      }
      return added;
    },
    free() {
      rmSync(filler, { force: true });
    },
    freeBytes() {
      const stats = statfsSync(dir);
      return stats.bavail * stats.bsize;
    },
    unmount() {
      if (!mounted.delete(disk)) return;
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // A process still holds a file there: detach it now, the kernel frees it when they close.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
    },
  };
  mounted.add(disk);
  return disk;
}
