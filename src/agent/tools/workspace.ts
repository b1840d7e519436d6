import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { AtolyeError } from '../../errors.js';
import { isInside } from '../../workspace/confine.js';

/** Why a path was refused; stable codes the agent state and tests can branch on. */
export type PathRefusalCode =
  | 'PATH_EMPTY'
  | 'PATH_NUL_BYTE'
  | 'PATH_BACKSLASH'
  | 'PATH_CONTROL_CHARACTER'
  | 'PATH_TOO_LONG'
  | 'PATH_ABSOLUTE'
  | 'PATH_OUTSIDE_WORKSPACE'
  | 'PATH_SYMLINK_OUTSIDE'
  | 'PATH_DANGLING_SYMLINK';

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

/** Longest name of one file or folder, in bytes (NAME_MAX of Linux and macOS file systems). */
export const MAX_NAME_BYTES = 255;
/** Longest workspace-relative path, in bytes (PATH_MAX, 4096, less its NUL). */
export const MAX_PATH_BYTES = 4095;

/** Checks one spelling of a path; returns its normalised workspace-relative POSIX form. */
function checkSpelling(userPath: string, shown: string): LexicalResult {
  if (userPath.includes('\0')) return refuse('PATH_NUL_BYTE', `Path ${shown} contains a NUL byte.`);
  // On POSIX a backslash is an ordinary character of a name (resolveInside refuses it only in a
  // new name); where it is a separator it could lead anywhere.
  if (path.sep === '\\' && userPath.includes('\\')) {
    return refuse('PATH_BACKSLASH', `Path ${shown} contains a backslash; use forward slashes.`);
  }
  if (path.posix.isAbsolute(userPath) || /^[a-zA-Z]:/.test(userPath)) {
    return refuse(
      'PATH_ABSOLUTE',
      `Path ${shown} is absolute; give a path relative to the workspace root.`,
    );
  }
  const relative = path.posix.normalize(userPath).replace(/\/+$/, '') || '.';
  if (relative === '..' || relative.startsWith('../')) {
    return refuse('PATH_OUTSIDE_WORKSPACE', `Path ${shown} leads outside the workspace.`);
  }
  return checkLength(relative, shown) ?? { ok: true, relative };
}

/** The file system refuses longer names with ENAMETOOLONG; say so before it is asked. */
function checkLength(relative: string, shown: string): LexicalResult | undefined {
  const brief = shown.length > 80 ? `${shown.slice(0, 60)}…"` : shown;
  if (relative.split('/').some((name) => Buffer.byteLength(name) > MAX_NAME_BYTES)) {
    return refuse(
      'PATH_TOO_LONG',
      `Path ${brief} has a name longer than ${MAX_NAME_BYTES} bytes, which no file system here can hold; shorten it.`,
    );
  }
  if (Buffer.byteLength(relative) > MAX_PATH_BYTES) {
    return refuse(
      'PATH_TOO_LONG',
      `Path ${brief} is longer than ${MAX_PATH_BYTES} bytes, which no file system here can hold; shorten it.`,
    );
  }
  return undefined;
}

/**
 * The pure half of confinement: refuses NUL bytes, absolute paths, `..` escapes and names too
 * long for a file system, also after one round of percent-decoding (`%2e%2e%2f`), without
 * touching the file system.
 */
export function resolveLexically(userPath: string): LexicalResult {
  const shown = JSON.stringify(userPath);
  if (userPath.trim() === '')
    return refuse('PATH_EMPTY', 'Path is empty; use "." for the workspace root.');
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
 * the root, so symlinks cannot lead reads, writes or deletes outside. A name that exists is
 * reachable whatever its characters (imported code may hold a backslash or a newline in one); a
 * name that does not exist yet may hold neither a backslash nor a control character, which in a
 * new name is nearly always a mistake (a Windows path, a stray escape).
 */
export async function resolveInside(root: string, userPath: string): Promise<PathResolution> {
  if (!path.isAbsolute(root)) {
    throw new AtolyeError(
      'WORKSPACE_NOT_ABSOLUTE',
      `Workspace root must be absolute, got ${root}.`,
    );
  }
  const lexical = resolveLexically(userPath);
  if (!lexical.ok) return lexical;
  const realRoot = await realpath(root);
  const absolute = lexical.relative === '.' ? realRoot : path.join(realRoot, lexical.relative);
  if (Buffer.byteLength(absolute) > MAX_PATH_BYTES) {
    // The folder the workspace lives in counts too; its name stays out of what the model reads.
    return refuse(
      'PATH_TOO_LONG',
      `Path ${JSON.stringify(userPath).slice(0, 60)}… is too long together with the workspace folder (the file system allows ${MAX_PATH_BYTES} bytes); shorten it.`,
    );
  }

  let probe = absolute;
  while (!(await exists(probe))) probe = path.dirname(probe);
  const missing = path.relative(probe, absolute);
  const newName = newNameProblem(missing, JSON.stringify(userPath));
  if (newName) return newName;
  let real: string;
  try {
    real = await realpath(probe);
  } catch {
    // lstat sees it but realpath cannot follow it: a symlink to nowhere, which a write would create.
    return refuse(
      'PATH_DANGLING_SYMLINK',
      `Path ${JSON.stringify(userPath)} goes through a symlink whose target does not exist.`,
    );
  }
  if (!isInside(realRoot, real)) {
    return refuse(
      'PATH_SYMLINK_OUTSIDE',
      `Path ${JSON.stringify(userPath)} goes through a symlink that leads outside the workspace.`,
    );
  }
  return { ok: true, absolute, relative: lexical.relative };
}

/** What is wrong with the part of a path that does not exist yet, if anything. */
function newNameProblem(
  missing: string,
  shown: string,
): { ok: false; code: PathRefusalCode; reason: string } | undefined {
  if (missing.includes('\\')) {
    return refuse(
      'PATH_BACKSLASH',
      `Path ${shown} contains a backslash in a new name; use forward slashes between folders.`,
    );
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  if (/[\u0000-\u001f\u007f]/.test(missing)) {
    return refuse(
      'PATH_CONTROL_CHARACTER',
      `Path ${shown} contains a control character (a newline, a tab…) in a new name; leave it out.`,
    );
  }
  return undefined;
}
