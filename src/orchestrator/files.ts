import { constants, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { create as createTar } from 'tar';
import { resolveInside } from '../agent/tools/workspace.js';
import { contentTypeOf } from './content-type.js';
import { AtolyeError } from '../errors.js';
import { isInside } from '../workspace/confine.js';
import { NoHardLinks } from '../workspace/tar-links.js';

/** One entry of a workspace listing; `path` is relative to the workspace root, POSIX style. */
export interface WorkspaceEntry {
  path: string;
  type: 'file' | 'directory';
  /** Bytes for a file, 0 for a directory. */
  size: number;
}

export interface WorkspaceFile {
  /** The normalised workspace-relative path that was opened. */
  path: string;
  size: number;
  contentType: string;
  modifiedAt: Date;
  /** The file's bytes; consume or destroy it, which closes the file. */
  stream: Readable;
}

/**
 * Every file and directory of the workspace, in tree order (each directory before its
 * contents, names compared by code unit). Nothing is skipped, `.git` and `node_modules`
 * included. A symlink is listed as what it points to when that stays inside the workspace
 * (a linked directory is not descended into, which also rules out cycles) and left out when it
 * leads outside or nowhere. Sockets, FIFOs and devices are left out: they have no content to serve.
 */
export async function listWorkspace(root: string): Promise<WorkspaceEntry[]> {
  const realRoot = await workspaceRoot(root);
  const entries: WorkspaceEntry[] = [];
  await walk(realRoot, realRoot, '', entries);
  return entries;
}

async function walk(
  realRoot: string,
  dir: string,
  prefix: string,
  entries: WorkspaceEntry[],
): Promise<void> {
  const names = (await readdir(dir)).sort(byCodeUnit);
  for (const name of names) {
    const relative = prefix === '' ? name : `${prefix}/${name}`;
    const full = path.join(dir, name);
    let stats: Stats;
    try {
      stats = await lstat(full);
    } catch {
      continue; // Deleted since readdir: the workspace may be changing under a running agent.
    }
    if (stats.isSymbolicLink()) {
      const target = await symlinkTarget(realRoot, full);
      if (target?.isFile()) entries.push({ path: relative, type: 'file', size: target.size });
      else if (target?.isDirectory()) entries.push({ path: relative, type: 'directory', size: 0 });
    } else if (stats.isDirectory()) {
      entries.push({ path: relative, type: 'directory', size: 0 });
      await walk(realRoot, full, relative, entries);
    } else if (stats.isFile()) {
      entries.push({ path: relative, type: 'file', size: stats.size });
    }
  }
}

/** The stats of what a symlink finally points to, or undefined when that is outside or missing. */
async function symlinkTarget(realRoot: string, link: string): Promise<Stats | undefined> {
  try {
    const target = await realpath(link);
    return isInside(realRoot, target) ? await stat(target) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens one workspace file for reading. `relPath` arrives already percent-decoded; it is refused
 * (PATH_REFUSED) when empty, absolute, containing `..` that leaves the root or a NUL byte, longer
 * than a file system allows, or when a symlink on the way leads outside; the tools' rules
 * (resolveInside) throughout, so an existing name with a backslash or a newline is served. A
 * missing file is FILE_NOT_FOUND, a directory IS_DIRECTORY.
 */
export async function openWorkspaceFile(root: string, relPath: string): Promise<WorkspaceFile> {
  const realRoot = await workspaceRoot(root);
  const resolved = await resolveInside(realRoot, relPath);
  if (!resolved.ok) throw new AtolyeError('PATH_REFUSED', resolved.reason);
  const shown = JSON.stringify(resolved.relative);

  let real: string;
  try {
    real = await realpath(resolved.absolute);
  } catch (error) {
    throw openFailure(error, shown);
  }
  // O_NOFOLLOW: a symlink swapped in after the check is refused, not followed. O_NONBLOCK: opening
  // a FIFO returns at once instead of waiting for a writer (it is refused below).
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw openFailure(error, shown);
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) {
      throw new AtolyeError('IS_DIRECTORY', `${shown} is a directory, not a file`);
    }
    if (!stats.isFile()) {
      throw new AtolyeError('PATH_REFUSED', `${shown} is not a regular file`);
    }
    // What was opened is what counts: a directory renamed into a symlink between the checks
    // above and open() would show here (Linux names an open file under /proc/self/fd).
    const opened = await openedPath(handle.fd);
    if (opened !== undefined && !isInside(realRoot, opened)) {
      throw new AtolyeError('PATH_REFUSED', `${shown} leads outside the workspace`);
    }
    let stream: Readable;
    if (stats.size === 0) {
      await handle.close();
      stream = Readable.from([]);
    } else {
      // Bounded to the size reported, so a file growing meanwhile cannot overrun Content-Length.
      stream = handle.createReadStream({ start: 0, end: stats.size - 1 });
    }
    return {
      path: resolved.relative,
      size: stats.size,
      contentType: contentTypeOf(resolved.relative),
      modifiedAt: stats.mtime,
      stream,
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function openFailure(error: unknown, shown: string): AtolyeError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new AtolyeError('FILE_NOT_FOUND', `${shown} does not exist in the workspace`, {
        cause: error,
      });
    case 'ELOOP':
      return new AtolyeError('PATH_REFUSED', `${shown} is a symlink that changed while opening`, {
        cause: error,
      });
    case 'EISDIR':
      return new AtolyeError('IS_DIRECTORY', `${shown} is a directory, not a file`, {
        cause: error,
      });
    case 'ENAMETOOLONG':
      return new AtolyeError('PATH_REFUSED', `${shown} is too long for the file system`, {
        cause: error,
      });
    default:
      return new AtolyeError('FILE_UNREADABLE', `${shown} cannot be read (${code ?? 'error'})`, {
        cause: error,
        retryable: code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN',
      });
  }
}

async function openedPath(fd: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined; // No /proc (macOS): the lexical and realpath checks above stand alone.
  }
}

/**
 * The whole workspace as a gzip-compressed tar stream. Entries are relative (`src/a.ts`), carry
 * no owner or host details (`portable`) and are never read through a symlink: a symlink is kept
 * as a link only when its target is written relatively and stays inside the workspace; any other
 * symlink, and sockets, FIFOs and devices, are left out. Each name of a hard-linked file is a
 * file of its own.
 */
export async function archiveWorkspace(root: string): Promise<Readable> {
  const realRoot = await workspaceRoot(root);
  const names = (await readdir(realRoot)).sort(byCodeUnit);
  const pack = createTar(
    {
      cwd: realRoot,
      gzip: true,
      portable: true,
      follow: false,
      linkCache: new NoHardLinks(),
      filter: (entryPath, stats) => keepInArchive(realRoot, entryPath, stats as Stats),
    },
    names.length > 0 ? names : ['.'],
  );
  const out = new PassThrough();
  pack.on('error', (error: unknown) => out.destroy(archiveFailure(error)));
  out.on('close', () => {
    // The reader went away early (a dropped download): stop reading files.
    if (!pack.emittedEnd) pack.destroy();
  });
  pack.pipe(out);
  return out;
}

function archiveFailure(error: unknown): AtolyeError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  // The code, not the message: fs messages name host paths, and this may reach an API client.
  return new AtolyeError(
    'ARCHIVE_FAILED',
    `archiving the workspace failed (${code ?? 'error'})`,
    // ENOENT: a file deleted while it was archived, which the next attempt will not see.
    { cause: error, retryable: code === 'ENOENT' || code === 'EMFILE' || code === 'ENFILE' },
  );
}

function keepInArchive(realRoot: string, entryPath: string, stats: Stats): boolean {
  // tar writes a pax mtime only for a Date that passes `instanceof Date`; fs's Date fails that
  // where this code runs in another realm (a jest VM context), which would corrupt the header.
  stats.mtime = new Date(stats.mtime.getTime());
  if (stats.isFile() || stats.isDirectory()) return true;
  if (!stats.isSymbolicLink()) return false;
  const link = path.join(realRoot, entryPath);
  try {
    // The filter is synchronous by contract; this runs only for symlinks.
    return !path.isAbsolute(readlinkSync(link)) && isInside(realRoot, realpathSync(link));
  } catch {
    return false; // Dangling, or a loop.
  }
}

async function workspaceRoot(root: string): Promise<string> {
  let real: string;
  let isDirectory: boolean;
  try {
    real = await realpath(path.resolve(root));
    isDirectory = (await stat(real)).isDirectory();
  } catch (error) {
    // The host path stays in `cause` for the logs; the message may reach an API client.
    throw new AtolyeError('WORKSPACE_NOT_FOUND', 'the workspace does not exist yet', {
      cause: error,
    });
  }
  if (!isDirectory) {
    throw new AtolyeError('WORKSPACE_NOT_FOUND', 'the workspace is not a directory');
  }
  return real;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
