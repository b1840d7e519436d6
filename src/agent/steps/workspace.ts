import { mkdir } from 'node:fs/promises';
import { resolveFromRoot } from '../../config/paths.js';
import { AtolyeError } from '../../errors.js';
import { threadWorkspacePath } from '../../workspace/confine.js';
import { isThreadId, threadIdRefusal } from '../../workspace/thread-id.js';

/** The thread's workspace, `<workspace.root>/<threadId>`, created when missing. */
export async function threadWorkspace(root: string, threadId: string | undefined): Promise<string> {
  if (!isThreadId(threadId)) {
    throw new AtolyeError(
      'THREAD_ID_INVALID',
      `This step needs the thread id of the call (${threadIdRefusal(threadId)}): invoke it with a threadId`,
    );
  }
  const dir = threadWorkspacePath(resolveFromRoot(root), threadId);
  await mkdir(dir, { recursive: true });
  return dir;
}
