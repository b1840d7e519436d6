import {
  HARDLINK_FIX,
  refused,
  REMAKE,
  SYMLINK_FIX,
  tooLarge,
  UNSUPPORTED_FIX,
} from './archive-errors.js';

/**
 * What an imported archive may hold, independent of its format: every entry is checked here, in
 * archive order, before anything is written, and checked again as it is written. The readers
 * (`archive-tar.ts`, `archive-zip.ts`) only translate their format into `RawEntry`s.
 */

export interface ArchiveLimits {
  /** Most entries (files, folders and links, each archive entry counted). */
  maxFiles: number;
  /** Most bytes of file content. */
  maxBytes: number;
  /** Highest unpacked-to-archive size ratio; judged once more than 1 MiB has been unpacked. */
  maxRatio: number;
}

export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink';

/** One entry as its archive states it, nothing checked yet. */
export interface RawEntry {
  /** The path as stored. */
  name: string;
  /** What it is; `unsupported` names anything else (a device, a FIFO) for the message. */
  kind: EntryKind | { unsupported: string };
  /** Permission bits as stored, when the archive has them. */
  mode: number | undefined;
  /** Content bytes (files only). */
  size: number;
  /** A symlink's target as stored, or the archive path a hard link repeats. */
  linkTarget?: string;
}

/** A checked entry: where it goes, relative to the root, and with which mode. */
export interface PlannedEntry {
  path: string;
  kind: EntryKind;
  mode: number;
  /** Symlink: the target as stored (relative, checked). Hard link: the normalised path it repeats. */
  linkTarget?: string;
}

/** Calls back once per entry, in archive order; a file's content must be consumed before returning. */
export type VisitEntry = (
  entry: RawEntry,
  content: AsyncIterable<Buffer> | undefined,
) => Promise<void>;

export interface ReadOptions {
  /** The archive's size on disk, the denominator of the compression ratio. */
  archiveBytes: number;
  limits: ArchiveLimits;
}

/** Below this many unpacked bytes the ratio is not judged: a few small text files compress very well. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;
/** Longest symlink target taken from a zip entry's content (PATH_MAX). */
export const MAX_LINK_TARGET_BYTES = 4095;
/** Longest relative path, leaving room for the workspace folder under Linux's PATH_MAX of 4096. */
const MAX_PATH_BYTES = 3072;
const MAX_NAME_BYTES = 255;
/** Path parts walked to follow one symlink through the archive's other links, and all of them. */
const MAX_RESOLVE_STEPS = 8192;
const MAX_RESOLVE_STEPS_IN_ALL = 2_000_000;

type Node = 'file' | 'directory' | 'symlink';

export interface PlanTotals {
  files: number;
  directories: number;
  symlinks: number;
  /** File content bytes read, the measure `maxBytes` limits. */
  bytes: number;
}

export class ImportPlan {
  /** What each path is after the entries so far; hard links are files, parents are implied folders. */
  private readonly nodes = new Map<string, Node>();
  private readonly symlinks = new Map<string, string>();
  /** Final mode of every folder; implied ones get the default. */
  private readonly folderModes = new Map<string, number>();
  private entries = 0;
  private bytes = 0;
  private resolveSteps = 0;

  constructor(private readonly limits: ArchiveLimits) {}

  /** Checks one entry against the ones before it; undefined for the root folder's own entry. */
  admit(raw: RawEntry): PlannedEntry | undefined {
    if (typeof raw.kind === 'object') {
      throw refused(raw.name, `is ${raw.kind.unsupported}`, UNSUPPORTED_FIX);
    }
    const kind = raw.kind;
    const path = entryPath(raw.name);
    if (path === '') {
      if (kind === 'directory') return undefined;
      throw refused(raw.name, 'names the workspace folder itself but is not a folder', REMAKE);
    }
    this.entries += 1;
    if (this.entries > this.limits.maxFiles) {
      throw tooLarge(
        `the archive holds more than ${this.limits.maxFiles} entries (files, folders and links)`,
      );
    }
    if (kind === 'file') {
      this.bytes += raw.size;
      if (this.bytes > this.limits.maxBytes) {
        throw tooLarge(`the archive unpacks to more than ${this.limits.maxBytes} bytes`);
      }
    }
    this.checkParents(raw.name, path);
    this.checkReplaces(raw.name, path, kind);

    let linkTarget: string | undefined;
    if (kind === 'symlink') linkTarget = this.checkSymlink(raw.name, path, raw.linkTarget ?? '');
    if (kind === 'hardlink') linkTarget = this.checkHardLink(raw.name, path, raw.linkTarget ?? '');

    this.record(path, kind, linkTarget);
    const mode = kind === 'directory' ? folderMode(raw.mode) : fileMode(raw.mode);
    if (kind === 'directory') this.folderModes.set(path, mode);
    return { path, kind, mode, ...(linkTarget === undefined ? {} : { linkTarget }) };
  }

  /**
   * The checks that need the whole archive: a symlink may only lead outside by way of another
   * symlink that comes later (`s -> .` makes `t -> s/..` the workspace's parent).
   */
  finish(): PlanTotals {
    for (const [link, target] of this.symlinks) {
      const outcome = this.resolve(link, target);
      if (outcome !== 'inside') throw refused(link, symlinkProblem(target, outcome), SYMLINK_FIX);
    }
    let files = 0;
    let directories = 0;
    for (const node of this.nodes.values()) {
      if (node === 'file') files += 1;
      else if (node === 'directory') directories += 1;
    }
    return { files, directories, symlinks: this.symlinks.size, bytes: this.bytes };
  }

  /** Every folder the archive makes, explicit or implied, with its final mode. */
  folders(): [string, number][] {
    return [...this.nodes]
      .filter(([, node]) => node === 'directory')
      .map(([path]) => [path, this.folderModes.get(path) ?? DEFAULT_FOLDER_MODE]);
  }

  private checkParents(name: string, path: string): void {
    const parts = path.split('/');
    for (let end = 1; end < parts.length; end += 1) {
      const parent = parts.slice(0, end).join('/');
      const node = this.nodes.get(parent);
      if (node === 'symlink') {
        throw refused(
          name,
          `goes through ${JSON.stringify(parent)}, a symlink in the same archive`,
          'leave the link or the entries under it out of the archive',
        );
      }
      if (node === 'file') {
        throw refused(
          name,
          `is inside ${JSON.stringify(parent)}, which the archive also has as a file`,
          REMAKE,
        );
      }
    }
  }

  private checkReplaces(name: string, path: string, kind: EntryKind): void {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    // A later file entry replaces an earlier one (tar semantics); a folder is never replaced by a
    // file or a link, nor the other way round.
    if ((node === 'directory') !== (kind === 'directory')) {
      const was = node === 'directory' ? 'a folder' : node === 'symlink' ? 'a symlink' : 'a file';
      throw refused(name, `is ${article(kind)}, but the archive also has it as ${was}`, REMAKE);
    }
  }

  private checkSymlink(name: string, path: string, target: string): string {
    const problem = targetProblem(target);
    if (problem !== undefined)
      throw refused(name, `is a symlink whose target ${problem}`, SYMLINK_FIX);
    // A first, lexical check now, so the refusal names the first bad link; `finish` follows chains.
    const outcome = this.resolve(path, target);
    if (outcome !== 'inside') throw refused(name, symlinkProblem(target, outcome), SYMLINK_FIX);
    return target;
  }

  private checkHardLink(name: string, path: string, target: string): string {
    const shown = JSON.stringify(target);
    const problem = pathProblem(target);
    if (problem !== undefined || target.split('/').includes('..')) {
      throw refused(name, `is a hard link to ${shown}, outside the archive's folder`, HARDLINK_FIX);
    }
    const linked = entryPath(target);
    if (linked === path) throw refused(name, 'is a hard link to itself', HARDLINK_FIX);
    if (this.nodes.get(linked) !== 'file') {
      throw refused(
        name,
        `is a hard link to ${shown}, which is not a file earlier in the archive`,
        HARDLINK_FIX,
      );
    }
    return linked;
  }

  private record(path: string, kind: EntryKind, linkTarget: string | undefined): void {
    const parts = path.split('/');
    for (let end = 1; end < parts.length; end += 1) {
      const parent = parts.slice(0, end).join('/');
      if (!this.nodes.has(parent)) this.nodes.set(parent, 'directory');
    }
    this.nodes.set(path, kind === 'hardlink' ? 'file' : kind);
    if (kind === 'symlink' && linkTarget !== undefined) this.symlinks.set(path, linkTarget);
    else this.symlinks.delete(path);
  }

  /** Follows `target` from the link's folder as the kernel would, through the archive's own links. */
  private resolve(link: string, target: string): 'inside' | 'outside' | 'tangled' {
    const at = link.split('/').slice(0, -1);
    const pending = target.split('/');
    let steps = 0;
    while (pending.length > 0) {
      steps += 1;
      this.resolveSteps += 1;
      if (steps > MAX_RESOLVE_STEPS || this.resolveSteps > MAX_RESOLVE_STEPS_IN_ALL) {
        return 'tangled';
      }
      const part = pending.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (at.length === 0) return 'outside';
        at.pop();
        continue;
      }
      at.push(part);
      const next = this.symlinks.get(at.join('/'));
      if (next !== undefined) {
        // A loop among the links only fails to open (ELOOP); the step budget ends the walk.
        at.pop();
        pending.unshift(...next.split('/'));
      }
    }
    return 'inside';
  }
}

/**
 * The entry's path, relative and normalised (`./a//b/` → `a/b`, the root → ''), or a refusal for
 * anything that could land outside the root or that Windows would read as a path of its own.
 */
export function entryPath(name: string): string {
  const problem = pathProblem(name);
  if (problem !== undefined) throw refused(name, problem, REMAKE);
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    throw refused(name, 'contains ".." and would land outside the workspace', REMAKE);
  }
  if (parts.some((part) => Buffer.byteLength(part) > MAX_NAME_BYTES)) {
    throw refused(name, `has a name longer than ${MAX_NAME_BYTES} bytes`, 'shorten the name');
  }
  const path = parts.join('/');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
    throw refused(name, `is longer than ${MAX_PATH_BYTES} bytes`, 'shorten the path');
  }
  return path;
}

function pathProblem(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL byte';
  if (name.includes('\\')) return 'contains a backslash (a Windows path)';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a Windows drive letter';
  if (name.startsWith('/')) return 'is an absolute path';
  return undefined;
}

function targetProblem(target: string): string | undefined {
  if (target === '') return 'is empty';
  if (target.includes('\0')) return 'contains a NUL byte';
  if (target.includes('\\')) return 'contains a backslash (a Windows path)';
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) {
    return `${JSON.stringify(target)} is absolute`;
  }
  if (Buffer.byteLength(target) > MAX_LINK_TARGET_BYTES) return 'is too long';
  return undefined;
}

function symlinkProblem(target: string, outcome: 'outside' | 'tangled'): string {
  const shown = JSON.stringify(target);
  return outcome === 'outside'
    ? `is a symlink to ${shown}, which leads outside the workspace`
    : `is a symlink to ${shown} through too many other links to check`;
}

function article(kind: EntryKind): string {
  return kind === 'directory' ? 'a folder' : kind === 'symlink' ? 'a symlink' : 'a file';
}

const DEFAULT_FILE_MODE = 0o644;
const DEFAULT_FOLDER_MODE = 0o755;

/** Executable bits kept; setuid/setgid/sticky and group/other write dropped; the owner may always write. */
function fileMode(mode: number | undefined): number {
  return ((mode ?? DEFAULT_FILE_MODE) & 0o755) | 0o600;
}

function folderMode(mode: number | undefined): number {
  return ((mode ?? DEFAULT_FOLDER_MODE) & 0o755) | 0o700;
}

/** The ratio check shared by the readers: judged only past RATIO_FLOOR_BYTES. */
export function checkRatio(unpacked: number, options: ReadOptions): void {
  const { archiveBytes, limits } = options;
  if (unpacked > RATIO_FLOOR_BYTES && unpacked > archiveBytes * limits.maxRatio) {
    throw tooLarge(
      `the archive unpacks to more than ${limits.maxRatio} times its own size, which looks like a zip bomb`,
    );
  }
}
