import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { AtolyeError } from '../errors.js';
import { spawnGit } from './git-process.js';

/**
 * The product's own git repository of a thread's workspace. It lives beside the workspaces, never
 * inside one (`<workspace.root>/.atolye-git/<threadId>.git`, a bare repository used with the
 * workspace as its work tree), so the sandbox, which sees only the workspace, cannot rewrite the
 * baseline; a `.git` the model creates in the workspace is its own and is not looked at. Every
 * operation uses a private index file, so concurrent snapshots (a diff request while `tools`
 * runs) never wait on one another's lock.
 */

export interface GitWorkspace {
  /** The thread's workspace folder. */
  workTree: string;
  /** The bare repository holding the baseline, run snapshots and (for clones) the origin. */
  gitDir: string;
}

export const BASELINE_REF = 'refs/atolye/baseline';
export const AUTHOR = { name: 'Atölye Şefi', email: 'atolye@localhost' };

/** Folder of the product's repositories; thread ids never start with a dot, so no thread owns it. */
export const GIT_DIRS = '.atolye-git';

export function gitWorkspace(workspaceRoot: string, threadId: string): GitWorkspace {
  return {
    workTree: path.join(workspaceRoot, threadId),
    gitDir: path.join(workspaceRoot, GIT_DIRS, `${threadId}.git`),
  };
}

/** Settings on every call: no hooks, no filters or helpers from the workspace, no host config. */
const SAFE_CONFIG = [
  'core.fsmonitor=false',
  'core.quotePath=false',
  'core.autocrlf=false',
  'core.symlinks=true',
  'core.untrackedCache=false',
  'gc.auto=0',
  'commit.gpgSign=false',
  'diff.external=',
  'diff.noprefix=false',
  'diff.mnemonicPrefix=false',
  'advice.addEmbeddedRepo=false',
  `user.name=${AUTHOR.name}`,
  `user.email=${AUTHOR.email}`,
];

export interface GitOptions {
  /** Extra environment (e.g. GIT_CONFIG_COUNT for a credential header); never logged. */
  env?: Record<string, string>;
  /** Run with the workspace as work tree (default true). */
  workTree?: boolean;
  /** Leave GIT_DIR unset (for `git clone`, which makes its own). */
  noGitDir?: boolean;
  indexFile?: string;
  timeoutMs?: number;
  cwd?: string;
}

export interface GitFailure {
  exitCode: number | null;
  stderr: string;
}

/** Runs git on the thread's repository; stdout as a Buffer, or GitCommandError with what git said. */
export async function runGit(
  ws: GitWorkspace,
  args: string[],
  options: GitOptions = {},
): Promise<Buffer> {
  const result = await spawnGit([...SAFE_CONFIG.flatMap((setting) => ['-c', setting]), ...args], {
    cwd: options.cwd ?? '/',
    timeoutMs: options.timeoutMs ?? 120_000,
    env: {
      HOME: ws.gitDir,
      GIT_OPTIONAL_LOCKS: '0',
      ...(options.noGitDir ? {} : { GIT_DIR: ws.gitDir }),
      ...(options.workTree === false ? {} : { GIT_WORK_TREE: ws.workTree }),
      ...(options.indexFile ? { GIT_INDEX_FILE: options.indexFile } : {}),
      ...options.env,
    },
  });
  if (result.code !== 0) {
    throw new GitCommandError(args[0] ?? 'git', {
      exitCode: result.code,
      stderr: result.stderr.trim(),
    });
  }
  return result.stdout;
}

export class GitCommandError extends AtolyeError {
  readonly failure: GitFailure;
  constructor(command: string, failure: GitFailure) {
    const detail = failure.stderr.split('\n').slice(-3).join(' ').slice(0, 500);
    super('GIT_FAILED', `git ${command} failed: ${detail || `exit ${failure.exitCode}`}`);
    this.failure = failure;
  }
}

async function text(ws: GitWorkspace, args: string[], options?: GitOptions): Promise<string> {
  return (await runGit(ws, args, options)).toString('utf8').trim();
}

/** The commit a ref names, or undefined when the ref (or the repository) does not exist. */
export async function resolveRef(ws: GitWorkspace, ref: string): Promise<string | undefined> {
  try {
    return await text(ws, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      workTree: false,
    });
  } catch {
    return undefined;
  }
}

/** True when the baseline (the code the user brought) holds `file`; false without a baseline. */
export async function inBaseline(ws: GitWorkspace, file: string): Promise<boolean> {
  try {
    await runGit(ws, ['cat-file', '-e', `${BASELINE_REF}:${file.replace(/^\.\/+/, '')}`], {
      workTree: false,
    });
    return true;
  } catch {
    return false;
  }
}

export async function initRepository(ws: GitWorkspace): Promise<void> {
  await runGit(ws, ['init', '--quiet', '--bare', ws.gitDir], { workTree: false });
}

/**
 * The tree of the workspace as it is now (honouring its `.gitignore` files), built in a private
 * index seeded from the last one, so unchanged files are not hashed again.
 */
export async function workspaceTree(ws: GitWorkspace): Promise<string> {
  const cache = path.join(ws.gitDir, 'atolye-index');
  const index = path.join(ws.gitDir, `atolye-index-${randomUUID()}`);
  try {
    await seedIndex(cache, index);
    await runGit(ws, ['add', '--all', '--', '.'], {
      indexFile: index,
      cwd: ws.workTree,
    });
    const tree = await text(ws, ['write-tree'], { indexFile: index });
    await rename(index, cache).catch(() => undefined);
    return tree;
  } finally {
    await rm(index, { force: true });
  }
}

/**
 * Copies the cached index with its modification time: git trusts an entry's stat data only when the
 * file is older than the index, and a fresh mtime would hide an edit made in the same second.
 */
async function seedIndex(cache: string, index: string): Promise<void> {
  try {
    const { atime, mtime } = await stat(cache);
    await copyFile(cache, index);
    await utimes(index, atime, mtime);
  } catch {
    // No cache yet: git hashes every file once.
  }
}

/** A commit of `tree` (its parent the baseline unless given), not on any branch. */
export async function commitTree(
  ws: GitWorkspace,
  tree: string,
  message: string,
  parent?: string,
): Promise<string> {
  const args = ['commit-tree', tree, '-m', message];
  if (parent) args.push('-p', parent);
  return text(ws, args, { workTree: false, env: authorEnv() });
}

function authorEnv(): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: AUTHOR.name,
    GIT_AUTHOR_EMAIL: AUTHOR.email,
    GIT_COMMITTER_NAME: AUTHOR.name,
    GIT_COMMITTER_EMAIL: AUTHOR.email,
  };
}

export async function updateRef(ws: GitWorkspace, ref: string, commit: string): Promise<void> {
  await runGit(ws, ['update-ref', ref, commit], { workTree: false });
}

/** The baseline commit; undefined when the thread has none yet. */
export function baselineOf(ws: GitWorkspace): Promise<string | undefined> {
  return resolveRef(ws, BASELINE_REF);
}

/**
 * Makes what the workspace holds now its baseline (the thread's import, or an empty folder), and
 * returns the commit. A thread that has a baseline keeps it.
 */
export async function ensureBaseline(ws: GitWorkspace, message = 'Baseline'): Promise<string> {
  const existing = await baselineOf(ws);
  if (existing) return existing;
  await mkdir(ws.workTree, { recursive: true });
  await initRepository(ws);
  const commit = await commitTree(ws, await workspaceTree(ws), message);
  await updateRef(ws, BASELINE_REF, commit);
  return commit;
}

/** Records the workspace as it is now under `ref` (a child of the baseline) and returns the commit. */
export async function snapshot(ws: GitWorkspace, ref: string, message: string): Promise<string> {
  const baseline = await ensureBaseline(ws);
  const commit = await commitTree(ws, await workspaceTree(ws), message, baseline);
  await updateRef(ws, ref, commit);
  return commit;
}

/** Where the workspace's states at each checkpoint are kept: one chain of commits, all reachable. */
export const TIMELINE_REF = 'refs/atolye/timeline';

/**
 * Records the workspace as it is now on the thread's timeline and returns the commit; the last
 * one again when nothing changed since. A checkpoint keeps this id, so a fork can bring the files
 * back as they were.
 */
export async function recordTimeline(ws: GitWorkspace): Promise<string> {
  const baseline = await ensureBaseline(ws);
  const head = await resolveRef(ws, TIMELINE_REF);
  const tree = await workspaceTree(ws);
  if (
    head !== undefined &&
    (await text(ws, ['rev-parse', `${head}^{tree}`], { workTree: false })) === tree
  ) {
    return head;
  }
  const commit = await commitTree(ws, tree, 'Checkpoint', head ?? baseline);
  await updateRef(ws, TIMELINE_REF, commit);
  return commit;
}

/**
 * Makes the workspace hold exactly what `commit` holds: changed files rewritten, files it does not
 * have removed. Ignored files (a `node_modules`, say) are left as they are, as the commit never
 * held them.
 */
export async function restoreWorkspace(ws: GitWorkspace, commit: string): Promise<void> {
  // The cached index is brought up to the workspace as it is now, so the two-way merge below
  // knows every file it may have to remove.
  await workspaceTree(ws);
  const cache = path.join(ws.gitDir, 'atolye-index');
  const index = path.join(ws.gitDir, `atolye-index-${randomUUID()}`);
  try {
    await seedIndex(cache, index);
    await runGit(ws, ['read-tree', '--reset', '-u', commit], {
      indexFile: index,
      cwd: ws.workTree,
    });
    await rename(index, cache).catch(() => undefined);
  } finally {
    await rm(index, { force: true });
  }
}

export interface DiffOptions {
  /** Where the diff starts: the baseline by default. */
  from?: string;
  /** Where it ends: the workspace now by default. */
  to?: string;
}

const DIFF_FLAGS = ['--no-color', '--no-ext-diff', '--no-textconv', '--find-renames'];

/**
 * A unified diff in git format (renames found, binary files marked); empty when nothing changed.
 * Bytes, not text: a file that is not UTF-8 must reach `git apply` as it is.
 */
export async function diff(ws: GitWorkspace, options: DiffOptions = {}): Promise<Buffer> {
  const { from, to } = await range(ws, options);
  return runGit(ws, ['diff', ...DIFF_FLAGS, from, to, '--'], { workTree: false });
}

/** `git diff --stat` of the workspace against its baseline; '' when nothing changed. */
export async function diffStat(ws: GitWorkspace, options: DiffOptions = {}): Promise<string> {
  const { from, to } = await range(ws, options);
  return text(ws, ['diff', ...DIFF_FLAGS, '--stat=100', '--stat-count=40', from, to, '--'], {
    workTree: false,
  });
}

/**
 * The changes as one `git format-patch` mail (binary files and full blob ids included, so both
 * `git am` and `git apply --3way` take it); empty when nothing changed.
 */
export async function formatPatch(
  ws: GitWorkspace,
  subject: string,
  options: DiffOptions = {},
): Promise<Buffer> {
  const { from, to } = await range(ws, options);
  const [fromTree, toTree] = await Promise.all([treeOf(ws, from), treeOf(ws, to)]);
  if (fromTree === toTree) return Buffer.alloc(0);
  const fromCommit = await text(ws, ['rev-parse', '--verify', `${from}^{commit}`], {
    workTree: false,
  }).catch(() => commitTree(ws, fromTree, 'Before'));
  const commit = await commitTree(ws, toTree, subject, fromCommit);
  return runGit(
    ws,
    [
      'format-patch',
      '--stdout',
      '--binary',
      '--full-index',
      '--find-renames',
      '--no-signature',
      `${fromCommit}..${commit}`,
    ],
    { workTree: false },
  );
}

async function treeOf(ws: GitWorkspace, treeish: string): Promise<string> {
  return text(ws, ['rev-parse', '--verify', `${treeish}^{tree}`], { workTree: false });
}

async function range(
  ws: GitWorkspace,
  options: DiffOptions,
): Promise<{ from: string; to: string }> {
  const from = options.from ?? (await ensureBaseline(ws));
  const to = options.to ?? (await workspaceTree(ws));
  return { from, to };
}
