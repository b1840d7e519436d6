import type { Stats } from 'node:fs';
import { Pack } from 'tar';
import { AtolyeError } from '../errors.js';
import { NoHardLinks } from '../workspace/tar-links.js';
import { selectFolder, type SelectOptions, type SkippedEntry } from './folder-selection.js';

/**
 * A local folder packed as a gzip-compressed tar, ready for `POST /threads/{id}/import`. What goes
 * in is `selectFolder`'s choice; entries are relative, portable (no owner, group or host details)
 * and never read through a symlink. No terminal or process output here: the CLI and the VS Code
 * extension each show progress their own way.
 */

export interface PackProgress {
  /** Files (and kept symlinks) packed so far, and their bytes. */
  files: number;
  bytes: number;
  /** What the folder holds to pack, known before packing starts. */
  totalFiles: number;
  totalBytes: number;
  /** The entry being packed. */
  path: string;
}

export interface PackOptions extends SelectOptions {
  onProgress?: (progress: PackProgress) => void;
  /** The compressed archive may not exceed this many bytes (the API's import limit). */
  maxBytes?: number;
}

export interface FolderArchive {
  /** The folder's real path. */
  root: string;
  /** The `.tar.gz` bytes. */
  archive: Uint8Array<ArrayBuffer>;
  /** Entries packed (files and symlinks kept as links). */
  files: number;
  /** Content bytes of the packed files, before compression. */
  bytes: number;
  /** How many entries were left out; `skippedEntries` says which and why. */
  skipped: number;
  skippedEntries: SkippedEntry[];
}

export async function packFolder(
  folder: string,
  options: PackOptions = {},
): Promise<FolderArchive> {
  const selection = await selectFolder(folder, options);
  const kinds = new Map(selection.entries.map((entry) => [entry.path, entry.kind]));
  const totalBytes = selection.entries.reduce((sum, entry) => sum + entry.size, 0);
  let files = 0;
  let bytes = 0;

  const pack = new Pack({
    cwd: selection.root,
    gzip: true,
    portable: true,
    follow: false,
    noDirRecurse: true,
    linkCache: new NoHardLinks(),
    // The entry's kind is checked again at the moment it is packed: a file swapped for a symlink
    // since the selection is left out rather than archived as a link that may lead anywhere.
    filter: (entryPath, stats) => {
      const fsStats = stats as Stats;
      const expected = kinds.get(entryPath);
      const actual = fsStats.isFile() ? 'file' : fsStats.isSymbolicLink() ? 'symlink' : 'other';
      if (expected !== actual) return false;
      // tar writes a pax mtime only for a Date that passes `instanceof Date`; fs's Date fails that
      // when this code runs in another realm (a jest VM context), which would corrupt the header.
      fsStats.mtime = new Date(fsStats.mtime.getTime());
      return true;
    },
    onWriteEntry: (entry) => {
      files += 1;
      bytes += entry.stat?.isFile() ? entry.stat.size : 0;
      options.onProgress?.({
        files,
        bytes,
        totalFiles: selection.entries.length,
        totalBytes,
        path: entry.path,
      });
    },
  });

  const chunks: Buffer[] = [];
  let size = 0;
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (options.maxBytes !== undefined && size > options.maxBytes) {
        reject(tooBig(folder, options.maxBytes));
        pack.destroy();
        return;
      }
      chunks.push(chunk);
    });
    pack.on('end', () => resolve());
    pack.on('error', (error: unknown) => reject(packFailure(folder, error)));
  });
  for (const entry of selection.entries) pack.add(entry.path);
  pack.end();
  await done;

  return {
    root: selection.root,
    archive: new Uint8Array(Buffer.concat(chunks)),
    files,
    bytes,
    skipped: selection.skipped.length,
    skippedEntries: selection.skipped,
  };
}

function tooBig(folder: string, maxBytes: number): AtolyeError {
  return new AtolyeError(
    'ARCHIVE_TOO_BIG',
    `${folder} packs to more than ${Math.round(maxBytes / 1024 / 1024)} MiB; leave build output and data out with .gitignore`,
  );
}

function packFailure(folder: string, error: unknown): AtolyeError {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? 'error';
  const where = (error as { path?: unknown } | null)?.path;
  return new AtolyeError(
    'ARCHIVE_FAILED',
    `packing ${folder} failed (${code}${typeof where === 'string' ? ` at ${where}` : ''})`,
    // A file deleted or locked while it was packed: the next attempt will not see it.
    { cause: error, retryable: code === 'ENOENT' || code === 'EMFILE' || code === 'ENFILE' },
  );
}
