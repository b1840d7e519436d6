import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { AtolyeError } from '../../errors.js';

/** Why a path was refused; stable codes the agent state and tests can branch on. */
export type PathRefusalCode =
  | 'path_empty'
  | 'path_nul_byte'
  | 'path_backslash'
  | 'path_absolute'
  | 'path_outside_workspace'
  | 'path_symlink_outside'
  | 'path_dangling_symlink';

export type PathResolution =
  | {
      ok: true;
      /** Absolute path under the workspace's real path. */ absolute: string;
      relative: string;
    }
  | { ok: false; code: PathRefusalCode; reason: string };

type LexicalResult =
  { ok: true; relative: string } | { ok: false; code: PathRefusalCode; reason: string };

function refuse(
  code: PathRefusalCode,
  reason: string,
): { ok: false; code: PathRefusalCode; reason: string } {
  return { ok: false, code, reason };
}

/** Checks one spelling of a path; returns its normalised workspace-relative POSIX form. */
function checkSpelling(userPath: string, shown: string): LexicalResult {
  if (userPath.includes('\0')) return refuse('path_nul_byte', `Path ${shown} contains a NUL byte.`);
  // Backslashes are a separator on Windows and an escape in shells; a model never needs them in a name.
  if (userPath.includes('\\')) {
    return refuse('path_backslash', `Path ${shown} contains a backslash; use forward slashes.`);
  }
  if (path.posix.isAbsolute(userPath) || /^[a-zA-Z]:/.test(userPath)) {
    return refuse(
      'path_absolute',
      `Path ${shown} is absolute; give a path relative to the workspace root.`,
    );
  }
  const relative = path.posix.normalize(userPath).replace(/\/+$/, '') || '.';
  if (relative === '..' || relative.startsWith('../')) {
    return refuse('path_outside_workspace', `Path ${shown} leads outside the workspace.`);
  }
  return { ok: true, relative };
}

/**
 * The pure half of confinement: refuses NUL bytes, backslashes, absolute paths and `..` escapes,
 * also after one round of percent-decoding (`%2e%2e%2f`), without touching the file system.
 */
export function resolveLexically(userPath: string): LexicalResult {
  const shown = JSON.stringify(userPath);
  if (userPath.trim() === '')
    return refuse('path_empty', 'Path is empty; use "." for the workspace root.');
  const literal = checkSpelling(userPath, shown);
  if (!literal.ok) return literal;
  let decoded: string;
  try {
    decoded = decodeURIComponent(userPath);
  } catch {
    return literal; // Not valid percent-encoding, so nothing could decode into a traversal.
  }
  if (decoded !== userPath) {
    // A later layer (a shell, a URL handler) might decode it; the decoded form must be safe too.
    const again = checkSpelling(decoded, shown);
    if (!again.ok) return { ...again, reason: `${again.reason} (after percent-decoding)` };
  }
  return literal;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves `userPath` inside the workspace `root`, or says why not. Beyond the lexical checks, the
 * real path of the deepest existing ancestor (the target itself when it exists) must stay inside
 * the root, so symlinks cannot lead reads, writes or deletes outside.
 */
export async function resolveInside(root: string, userPath: string): Promise<PathResolution> {
  if (!path.isAbsolute(root)) {
    throw new AtolyeError(
      'workspace_not_absolute',
      `Workspace root must be absolute, got ${root}.`,
    );
  }
  const lexical = resolveLexically(userPath);
  if (!lexical.ok) return lexical;
  const realRoot = await realpath(root);
  const absolute = lexical.relative === '.' ? realRoot : path.join(realRoot, lexical.relative);

  let probe = absolute;
  while (!(await exists(probe))) probe = path.dirname(probe);
  let real: string;
  try {
    real = await realpath(probe);
  } catch {
    // lstat sees it but realpath cannot follow it: a symlink to nowhere, which a write would create.
    return refuse(
      'path_dangling_symlink',
      `Path ${JSON.stringify(userPath)} goes through a symlink whose target does not exist.`,
    );
  }
  if (!isInside(realRoot, real)) {
    return refuse(
      'path_symlink_outside',
      `Path ${JSON.stringify(userPath)} goes through a symlink that leads outside the workspace.`,
    );
  }
  return { ok: true, absolute, relative: lexical.relative };
}
