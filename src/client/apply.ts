import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AtolyeError } from '../errors.js';
import { conflictsFrom, describeConflicts, type ApplyConflict } from './apply-conflicts.js';
import { git, gitOk, nulFields } from './git.js';

/**
 * Applies a thread's changes (the `/threads/{id}/patch` mailbox) to a local folder, all or
 * nothing, and never with conflict markers.
 *
 * `git apply --3way` cannot be trusted to check first: with `--check` it reports success for a
 * merge that will conflict (git 2.39), and it implies `--index`, so it refuses a file with
 * uncommitted edits and stages what it applies. So the work happens in a scratch repository
 * holding copies of just the files the patch touches, borrowing the folder's git objects (when
 * the folder is in a repository) so a three-way merge finds the blobs the patch was made from.
 * Only when every file merged cleanly is the difference between the copies and the result — a
 * patch that applies exactly to the folder as it is now — applied to the folder by `git apply`,
 * which checks the whole of it before writing anything, and refuses paths that leave the folder
 * or pass through a symlink. The folder's own repository (index, objects, config) is only read.
 */

export interface FileChange {
  change: 'added' | 'modified' | 'deleted' | 'renamed';
  /** Relative to the folder; for a rename, the new path. */
  path: string;
  /** For a rename, the old path. */
  from?: string;
}

export interface ApplyResult {
  changes: FileChange[];
  /** True when the folder's repository lent its objects for three-way merges. */
  threeWay: boolean;
}

/** The patch does not apply; the folder has not been changed. */
export class ApplyConflictError extends AtolyeError {
  constructor(
    readonly folder: string,
    readonly conflicts: ApplyConflict[],
  ) {
    super('APPLY_CONFLICT', describeConflicts(folder, conflicts));
  }
}

export type { ApplyConflict };

/**
 * Git applies scratch and final patches byte for byte: no end-of-line conversion, filters or
 * merge drivers from `.gitattributes` files that the patch itself may bring or change.
 */
const NEUTRAL_ATTRIBUTES = '* -text -eol -ident -filter -working-tree-encoding !merge !diff\n';

export async function applyPatch(folder: string, patch: Uint8Array): Promise<ApplyResult> {
  const root = await folderRoot(folder);
  if (!/^diff --git /m.test(Buffer.from(patch).toString('latin1'))) {
    return { changes: [], threeWay: false };
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'atolye-apply-'));
  try {
    const work = path.join(scratch, 'work');
    const gitDir = path.join(work, '.git');
    await gitOk(['init', '-q', work], { cwd: scratch });
    await writeFile(path.join(gitDir, 'info', 'attributes'), NEUTRAL_ATTRIBUTES);
    const objects = await repositoryObjects(root);
    if (objects)
      await writeFile(path.join(gitDir, 'objects', 'info', 'alternates'), `${objects}\n`);
    const patchFile = path.join(scratch, 'changes.patch');
    await writeFile(patchFile, patch);

    const inScratch = { cwd: work, env: { GIT_DIR: gitDir, GIT_WORK_TREE: work } };
    for (const touched of await touchedPaths(patchFile, inScratch)) {
      await copyIntoScratch(root, work, touched);
    }
    await gitOk(['add', '-A'], inScratch);
    const before = (await gitOk(['write-tree'], inScratch)).toString().trim();

    const applied = await git(['apply', '--3way', '--whitespace=nowarn', patchFile], inScratch);
    if (applied.code !== 0) {
      const unmerged = nulFields(await gitOk(['ls-files', '-u', '-z'], inScratch)).map((line) =>
        line.slice(line.indexOf('\t') + 1),
      );
      throw new ApplyConflictError(folder, conflictsFrom(unmerged, applied.stderr));
    }
    await gitOk(['add', '-A'], inScratch);
    const after = (await gitOk(['write-tree'], inScratch)).toString().trim();
    if (after === before) return { changes: [], threeWay: objects !== undefined };

    const changes = parseNameStatus(
      await gitOk(['diff-tree', '-r', '-M', '-z', '--name-status', before, after], inScratch),
    );
    const exact = await gitOk(
      ['diff-tree', '-r', '-M', '-p', '--binary', '--full-index', before, after],
      inScratch,
    );
    const final = await git(['apply', '--whitespace=nowarn', '-'], {
      cwd: root,
      input: exact,
      env: { GIT_DIR: gitDir, GIT_WORK_TREE: root },
    });
    if (final.code !== 0) {
      throw new AtolyeError(
        'APPLY_RACE',
        `${folder} changed while the changes were being applied, so nothing was applied (${firstError(final.stderr)}); run the command again`,
        { retryable: true },
      );
    }
    return { changes, threeWay: objects !== undefined };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Every path the patch reads or writes, checked to stay in the folder. `--numstat -z` names only
 * a rename's new path; the same list of the reversed patch names the old one.
 */
async function touchedPaths(
  patchFile: string,
  options: { cwd: string; env: Record<string, string> },
): Promise<string[]> {
  const paths = new Set<string>();
  for (const direction of [[], ['-R']]) {
    const result = await git(['apply', ...direction, '--numstat', '-z', patchFile], options);
    if (result.code !== 0) {
      throw new AtolyeError(
        'PATCH_INVALID',
        `the patch cannot be read: ${firstError(result.stderr)}`,
      );
    }
    for (const field of nulFields(result.stdout)) {
      const match = /^(?:\d+|-)\t(?:\d+|-)\t(.+)$/s.exec(field);
      if (match?.[1] !== undefined) paths.add(match[1]);
    }
  }
  for (const touched of paths) checkPatchPath(touched);
  return [...paths];
}

function checkPatchPath(touched: string): void {
  const parts = touched.split('/');
  const bad =
    touched === '' ||
    touched.includes('\0') ||
    touched.includes('\uFFFD') ||
    path.posix.isAbsolute(touched) ||
    parts.some((part) => part === '' || part === '.' || part === '..') ||
    parts.some((part) => part.toLowerCase() === '.git');
  if (bad) {
    throw new AtolyeError(
      'PATCH_REFUSED',
      `the patch names ${JSON.stringify(touched)}, which is not a path inside the folder it may change`,
    );
  }
}

/**
 * Copies one touched path from the folder into the scratch tree as it is: a file with its mode,
 * a symlink as a link, a folder where a file is expected as an empty folder (so git sees the
 * same obstruction). A symlinked folder on the way is refused: nothing is written through it.
 */
async function copyIntoScratch(root: string, work: string, touched: string): Promise<void> {
  const parts = touched.split('/');
  for (let depth = 1; depth <= parts.length; depth += 1) {
    const relative = parts.slice(0, depth).join('/');
    const source = path.join(root, relative);
    const target = path.join(work, relative);
    let stats;
    try {
      stats = await lstat(source);
    } catch {
      return; // Not in the folder: the patch may create it.
    }
    const last = depth === parts.length;
    if (stats.isDirectory()) {
      if (last) await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    if (stats.isSymbolicLink()) {
      if (!last) {
        throw new AtolyeError(
          'PATCH_REFUSED',
          `the changes touch ${touched}, but ${relative} is a symbolic link in ${root}; apply does not write through links`,
        );
      }
      await symlink(await readlink(source), target);
    } else if (stats.isFile()) {
      await rm(target, { recursive: true, force: true });
      await copyFile(source, target);
      await chmod(target, stats.mode & 0o777);
    } else {
      throw new AtolyeError('PATCH_REFUSED', `${relative} in ${root} is not a regular file`);
    }
    return;
  }
}

/** The objects folder of the repository holding `root`, if any, to borrow blobs from. */
async function repositoryObjects(root: string): Promise<string | undefined> {
  const result = await git(['rev-parse', '--path-format=absolute', '--git-common-dir'], {
    cwd: root,
  });
  if (result.code !== 0) return undefined;
  const objects = path.join(result.stdout.toString('utf8').trim(), 'objects');
  try {
    return (await stat(objects)).isDirectory() ? objects : undefined;
  } catch {
    return undefined;
  }
}

function parseNameStatus(output: Buffer): FileChange[] {
  const fields = nulFields(output);
  const changes: FileChange[] = [];
  for (let index = 0; index < fields.length;) {
    const status = fields[index] ?? '';
    if (status.startsWith('R') || status.startsWith('C')) {
      const from = fields[index + 1] ?? '';
      const to = fields[index + 2] ?? '';
      changes.push(
        status.startsWith('R')
          ? { change: 'renamed', path: to, from }
          : { change: 'added', path: to },
      );
      index += 3;
    } else {
      const changed = fields[index + 1] ?? '';
      const change = status === 'A' ? 'added' : status === 'D' ? 'deleted' : 'modified';
      changes.push({ change, path: changed });
      index += 2;
    }
  }
  return changes;
}

function firstError(stderr: string): string {
  const line = stderr.split('\n').find((text) => text.startsWith('error: '));
  return (line ?? stderr.trim().split('\n')[0] ?? 'git failed').replace(/^error: /, '');
}

async function folderRoot(folder: string): Promise<string> {
  try {
    const root = await realpath(folder);
    if ((await stat(root)).isDirectory()) return root;
  } catch (error) {
    throw new AtolyeError('FOLDER_NOT_FOUND', `there is no folder ${folder}`, { cause: error });
  }
  throw new AtolyeError('FOLDER_NOT_FOUND', `${folder} is not a folder`);
}
