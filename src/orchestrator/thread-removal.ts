import { rm } from 'node:fs/promises';
import { AtolyeError, errorMessage } from '../errors.js';
import { gitWorkspace, type GitWorkspace } from '../workspace/git.js';
import { assertThreadId } from '../workspace/thread-id.js';
import type { Executor } from './executor.js';
import type { RunsStore } from './runs-store.js';

/**
 * Removing a thread: its row, runs and run events, its LangGraph checkpoints, its workspace folder
 * and the bare repository beside it. Used by `DELETE /threads/{id}`, by stateless runs once they
 * end, and by anything else that retires threads (crons).
 */

export interface ThreadRemovalDeps {
  store: RunsStore;
  executor: Pick<Executor, 'deleteThread'>;
  /** `workspace.root`, resolved. */
  workspaceRoot: string;
}

/**
 * Removes the thread `threadId`, whoever owns it (the caller checks access). A pending or running
 * run refuses it (THREAD_BUSY); an unknown id is THREAD_NOT_FOUND. The rows go first, in the same
 * tick as the busy check, so no run can start on a thread being removed (one transaction, runs-store.ts deleteIdleThread); then the checkpoints
 * and files. A failure there is THREAD_REMOVAL_INCOMPLETE, naming what is left.
 */
export async function removeThread(deps: ThreadRemovalDeps, threadId: string): Promise<void> {
  const ws = threadFolders(deps.workspaceRoot, threadId);
  const removed = await deps.store.deleteIdleThread(threadId);
  if (removed !== true && removed !== false) {
    throw new AtolyeError(
      'THREAD_BUSY',
      `thread ${threadId} is busy with run ${removed.runId}: cancel it (POST /threads/${threadId}/runs/${removed.runId}/cancel) or wait for it, then delete the thread`,
    );
  }
  if (!removed) throw new AtolyeError('THREAD_NOT_FOUND', `no thread ${threadId}`);
  const steps: [string, Promise<unknown>][] = [
    ['its checkpoints', deps.executor.deleteThread(threadId)],
    [`its workspace ${ws.workTree}`, rm(ws.workTree, { recursive: true, force: true })],
    [`its repository ${ws.gitDir}`, rm(ws.gitDir, { recursive: true, force: true })],
  ];
  const results = await Promise.allSettled(steps.map(([, step]) => step));
  const failed = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${steps[index]?.[0]} (${errorMessage(result.reason)})`] : [],
  );
  if (failed.length > 0) {
    throw new AtolyeError(
      'THREAD_REMOVAL_INCOMPLETE',
      `thread ${threadId} is deleted, but removing ${failed.join('; ')} failed: remove what is left by hand`,
    );
  }
}

/** The thread's folders; an id that is not a thread id (it could lead elsewhere) is refused. */
export function threadFolders(workspaceRoot: string, threadId: string): GitWorkspace {
  assertThreadId(threadId);
  return gitWorkspace(workspaceRoot, threadId);
}
