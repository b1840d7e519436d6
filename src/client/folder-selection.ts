import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { AtolyeError } from '../errors.js';
import { isInside } from '../workspace/confine.js';

/**
 * Which entries of a local folder are sent to a thread: what git would track, less secrets.
 * `.gitignore` files (root and nested, deeper ones taking precedence, as git reads them) and
 * `.git/info/exclude` are honoured; `.git` and `node_modules` are never sent at any depth; `.env*`
 * files are left out unless the caller lists them in `include`; a symlink stays a symlink only
 * when its target is written relatively and resolves inside the folder.
 */

export interface FolderEntry {
  /** Relative to the folder, POSIX separators. */
  path: string;
  kind: 'file' | 'symlink';
  /** Bytes of a file; 0 for a symlink. */
  size: number;
}

export type SkipReason =
  /** A `.env*` file or folder, which usually holds credentials. */
  | 'secret'
  /** A symlink that is absolute, dangling, or leads out of the folder. */
  | 'symlink'
  /** A socket, FIFO or device: nothing to send. */
  | 'special'
  /** A folder that could not be read. */
  | 'unreadable';

export interface SkippedEntry {
  path: string;
  reason: SkipReason;
}

export interface FolderSelection {
  /** The folder's real path (symlinks resolved). */
  root: string;
  /** In code-unit order of their paths. */
  entries: FolderEntry[];
  skipped: SkippedEntry[];
}

export interface SelectOptions {
  /**
   * Files (relative to the folder) sent although they are `.env*` files or gitignored. Each must
   * be a regular file inside the folder, outside `.git` and `node_modules`.
   */
  include?: readonly string[];
}

const NEVER_SENT = new Set(['.git', 'node_modules']);
const SECRET = /^\.env/;

interface Rules {
  /** The folder these rules were read from, relative to the root ('' for the root). */
  base: string;
  matcher: Ignore;
}

export async function selectFolder(
  folder: string,
  options: SelectOptions = {},
): Promise<FolderSelection> {
  const root = await folderRoot(folder);
  const include = await checkIncludes(root, options.include ?? []);
  const entries: FolderEntry[] = [];
  const skipped: SkippedEntry[] = [];

  const exclude = await readRules(path.join(root, '.git', 'info', 'exclude'), '');
  const rootRules = exclude ? [exclude] : [];

  async function walk(dir: string, prefix: string, inherited: Rules[]): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (prefix === '') throw unreadableRoot(folder, error);
      skipped.push({ path: prefix, reason: 'unreadable' });
      return;
    }
    const own = await readRules(path.join(dir, '.gitignore'), prefix);
    const rules = own ? [...inherited, own] : inherited;
    for (const name of names.sort(byCodeUnit)) {
      const relative = prefix === '' ? name : `${prefix}/${name}`;
      if (NEVER_SENT.has(name) || include.has(relative)) continue;
      if (SECRET.test(name)) {
        skipped.push({ path: relative, reason: 'secret' });
        continue;
      }
      const full = path.join(dir, name);
      let stats: Stats;
      try {
        stats = await lstat(full);
      } catch {
        continue; // Deleted since it was listed.
      }
      if (isIgnored(rules, relative, stats.isDirectory())) continue;
      if (stats.isDirectory()) {
        await walk(full, relative, rules);
      } else if (stats.isFile()) {
        entries.push({ path: relative, kind: 'file', size: stats.size });
      } else if (!stats.isSymbolicLink()) {
        skipped.push({ path: relative, reason: 'special' });
      } else if (await linkStaysInside(root, full)) {
        entries.push({ path: relative, kind: 'symlink', size: 0 });
      } else {
        skipped.push({ path: relative, reason: 'symlink' });
      }
    }
  }

  await walk(root, '', rootRules);
  for (const [relative, size] of include) entries.push({ path: relative, kind: 'file', size });
  entries.sort((a, b) => byCodeUnit(a.path, b.path));
  return { root, entries, skipped };
}

/** Git's precedence: the deepest `.gitignore` with a matching pattern decides. */
function isIgnored(rules: readonly Rules[], relative: string, isDirectory: boolean): boolean {
  for (let index = rules.length - 1; index >= 0; index -= 1) {
    const { base, matcher } = rules[index] as Rules;
    const local = base === '' ? relative : relative.slice(base.length + 1);
    const result = matcher.test(isDirectory ? `${local}/` : local);
    if (result.ignored) return true;
    if (result.unignored) return false;
  }
  return false;
}

async function readRules(file: string, base: string): Promise<Rules | undefined> {
  try {
    // Git does not follow a symlinked .gitignore; neither does this.
    if (!(await lstat(file)).isFile()) return undefined;
    return { base, matcher: ignore().add(await readFile(file, 'utf8')) };
  } catch {
    return undefined; // None here (the usual case), or unreadable: then git would ignore it too.
  }
}

async function linkStaysInside(root: string, link: string): Promise<boolean> {
  try {
    // An absolute target names this machine's layout: it would not mean the same on the server.
    if (path.isAbsolute(await readlink(link))) return false;
    return isInside(root, await realpath(link));
  } catch {
    return false; // Dangling, or a loop.
  }
}

async function checkIncludes(
  root: string,
  include: readonly string[],
): Promise<Map<string, number>> {
  const checked = new Map<string, number>();
  for (const given of include) {
    const relative = path.posix.normalize(given.split(path.sep).join('/')).replace(/^\.\//, '');
    const parts = relative.split('/');
    if (path.isAbsolute(given) || parts.includes('..') || relative === '.') {
      throw includeRefused(given, 'is not a path inside the folder');
    }
    if (parts.some((part) => NEVER_SENT.has(part))) {
      throw includeRefused(given, 'is inside .git or node_modules, which are never sent');
    }
    let size: number;
    try {
      // Every component is checked with lstat: a symlinked folder on the way could lead anywhere.
      for (let depth = 1; depth < parts.length; depth += 1) {
        if (!(await lstat(path.join(root, ...parts.slice(0, depth)))).isDirectory()) {
          throw includeRefused(given, 'is not a regular file inside the folder');
        }
      }
      const stats = await lstat(path.join(root, ...parts));
      if (!stats.isFile()) throw includeRefused(given, 'is not a regular file');
      size = stats.size;
    } catch (error) {
      if (error instanceof AtolyeError) throw error;
      throw includeRefused(given, 'does not exist in the folder');
    }
    checked.set(relative, size);
  }
  return checked;
}

function includeRefused(given: string, why: string): AtolyeError {
  return new AtolyeError('INCLUDE_REFUSED', `cannot include ${JSON.stringify(given)}: it ${why}`);
}

async function folderRoot(folder: string): Promise<string> {
  let root: string;
  try {
    root = await realpath(folder);
  } catch (error) {
    throw new AtolyeError('FOLDER_NOT_FOUND', `there is no folder ${folder}`, { cause: error });
  }
  if (!(await stat(root)).isDirectory()) {
    throw new AtolyeError('FOLDER_NOT_FOUND', `${folder} is not a folder`);
  }
  return root;
}

function unreadableRoot(folder: string, error: unknown): AtolyeError {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? 'error';
  return new AtolyeError('FOLDER_UNREADABLE', `cannot read the folder ${folder} (${code})`, {
    cause: error,
  });
}

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
