import { constants } from 'node:fs';
import {
  chmod,
  link,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  rename,
  rm,
  stat,
  symlink,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AtolyeError } from '../errors.js';
import { corrupt, importFailed, notEmpty, unknownFormat } from './archive-errors.js';
import {
  ImportPlan,
  type ArchiveLimits,
  type PlannedEntry,
  type ReadOptions,
  type VisitEntry,
} from './archive-policy.js';
import { readTar } from './archive-tar.js';
import { readZip } from './archive-zip.js';

/**
 * The safe import of a user's folder archive into an empty workspace. What an entry may be is
 * `archive-policy.ts`; reading each format is `archive-tar.ts` and `archive-zip.ts`; this file
 * runs the two passes and puts the result in place.
 */

export type { ArchiveLimits };

export type ArchiveFormat = 'tar.gz' | 'tar' | 'zip';

export interface ArchiveImport {
  /** Regular files on disk afterwards (hard links included). */
  files: number;
  /** Folders on disk afterwards, implied parents included, the destination itself not. */
  directories: number;
  symlinks: number;
  /** File content bytes unpacked. */
  bytes: number;
  format: ArchiveFormat;
}

const DEFAULT_ROOT_MODE = 0o755;

/**
 * Validates every entry of `archiveFile` first, then extracts into `destination` (an empty or
 * missing folder). On any refusal nothing is written: the second pass extracts into a sibling
 * folder on the same filesystem that is renamed into place at the end, and removed on failure.
 *
 * Errors: IMPORT_REFUSED (an entry that may not be imported, a damaged archive, an unknown
 * format), IMPORT_TOO_LARGE (more than `maxFiles` entries, `maxBytes` bytes or `maxRatio`),
 * WORKSPACE_NOT_EMPTY (the destination has something in it), IMPORT_FAILED (writing failed).
 */
export async function extractArchive(
  archiveFile: string,
  destination: string,
  limits: ArchiveLimits,
): Promise<ArchiveImport> {
  const target = path.resolve(destination);
  let staging: string | undefined;
  try {
    const rootMode = await destinationMode(target);
    const format = await detectFormat(archiveFile);
    const options: ReadOptions = { archiveBytes: (await stat(archiveFile)).size, limits };
    const read = (visit: VisitEntry): Promise<void> =>
      format === 'zip'
        ? readZip(archiveFile, options, visit)
        : readTar(archiveFile, format === 'tar.gz', options, visit);

    // Pass 1: every entry checked and every byte read, nothing written, so a refused archive (a
    // bomb included) never touches the disk.
    const checked = new ImportPlan(limits);
    await read(async (raw, content) => {
      checked.admit(raw);
      if (content && (await drain(content)) !== raw.size) {
        throw corrupt(format, `entry ${JSON.stringify(raw.name)} is shorter than its header says`);
      }
    });
    const totals = checked.finish();

    // Pass 2: the same checks again (the plan is what is written, whatever the file does
    // between passes), into the staging folder.
    const parent = path.dirname(target);
    await mkdir(parent, { recursive: true });
    staging = await mkdtemp(path.join(parent, `.${path.basename(target)}.import-`));
    const plan = new ImportPlan(limits);
    const root = staging;
    await read(async (raw, content) => {
      const entry = plan.admit(raw);
      if (entry) await writeEntry(root, entry, content);
      else if (content) await drain(content);
    });
    plan.finish();
    // Folders were made owner-only so that a read-only one could still be filled.
    for (const [folder, mode] of plan.folders()) await chmod(path.join(staging, folder), mode);
    await chmod(staging, rootMode);
    await moveIntoPlace(staging, target);
    staging = undefined;
    return { ...totals, format };
  } catch (error) {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
    throw error instanceof AtolyeError ? error : importFailed(error);
  }
}

async function detectFormat(file: string): Promise<ArchiveFormat> {
  const head = Buffer.alloc(512);
  const handle = await open(file, 'r');
  let length: number;
  try {
    length = (await handle.read(head, 0, head.length, 0)).bytesRead;
  } finally {
    await handle.close();
  }
  if (length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  const zip = head.subarray(0, 4).toString('latin1');
  if (length >= 4 && (zip === 'PK\x03\x04' || zip === 'PK\x05\x06')) return 'zip';
  if (length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  throw unknownFormat(head.subarray(0, Math.min(length, 8)));
}

/** The mode the workspace folder gets: that of the empty folder there now, or the default. */
async function destinationMode(target: string): Promise<number> {
  let stats;
  try {
    stats = await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_ROOT_MODE;
    throw error;
  }
  if (!stats.isDirectory() || (await readdir(target)).length > 0) throw notEmpty();
  return stats.mode & 0o755;
}

async function moveIntoPlace(staging: string, target: string): Promise<void> {
  try {
    // Replaces an empty folder; fails on one that has gained entries since it was looked at.
    await rename(staging, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') throw notEmpty();
    throw error;
  }
}

async function writeEntry(
  root: string,
  entry: PlannedEntry,
  content: AsyncIterable<Buffer> | undefined,
): Promise<void> {
  const to = path.join(root, entry.path);
  // The plan has refused every path through a symlink, so these folders are the archive's own.
  await mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
  if (entry.kind === 'directory') {
    await mkdir(to, { recursive: true, mode: 0o700 });
    return;
  }
  // A later entry for the same path replaces the earlier one; unlinked first so that writing
  // never goes through a hard link made by an earlier entry.
  await unlink(to).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  if (entry.kind === 'symlink') {
    await symlink(entry.linkTarget as string, to);
  } else if (entry.kind === 'hardlink') {
    await link(path.join(root, entry.linkTarget as string), to);
  } else {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await open(to, flags, 0o600);
    try {
      await handle.chmod(entry.mode); // Exactly this mode, whatever the umask.
    } catch (error) {
      await handle.close();
      throw error;
    }
    await pipeline(content ?? Readable.from([]), handle.createWriteStream());
  }
}

async function drain(content: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const chunk of content) bytes += chunk.length;
  return bytes;
}
