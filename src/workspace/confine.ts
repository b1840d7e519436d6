import path from 'node:path';
import { assertThreadId } from './thread-id.js';

/**
 * Where a thread's files are and what counts as inside them: the one definition the agent's
 * tools, the files API, the client's folder selection and the thread's folders share.
 */

/**
 * Whether `candidate` is `root` or below it, compared as paths are spelled (`..` segments are
 * resolved, symlinks are not): pass real paths (`realpath`) when a symlink could lead out. A
 * sibling sharing a prefix (`/ws/ab` for `/ws/a`) is outside; a name starting with two dots
 * (`..notes`) is inside.
 */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * The thread's workspace folder, `<workspaceRoot>/<threadId>`. An id that is not a thread id
 * (which could name a folder elsewhere) is refused with INVALID_REQUEST.
 */
export function threadWorkspacePath(workspaceRoot: string, threadId: string): string {
  assertThreadId(threadId);
  return path.join(workspaceRoot, threadId);
}
