import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { resolveFromRoot } from '../../config/paths.js';
import { AtolyeError } from '../../errors.js';

const THREAD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The thread's workspace, `<workspace.root>/<threadId>`, created when missing. */
export async function threadWorkspace(root: string, threadId: string | undefined): Promise<string> {
  if (threadId === undefined || !THREAD_ID.test(threadId) || threadId.includes('..')) {
    throw new AtolyeError(
      'THREAD_ID_INVALID',
      `This step needs the thread id of the call (letters, digits, ".", "_", "-"; got ${JSON.stringify(threadId ?? null)}): invoke it with a threadId`,
    );
  }
  const dir = path.join(resolveFromRoot(root), threadId);
  await mkdir(dir, { recursive: true });
  return dir;
}
