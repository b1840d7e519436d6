import { randomUUID } from 'node:crypto';
import { cp, stat } from 'node:fs/promises';
import { AtolyeError } from '../errors.js';
import type { Executor } from './executor.js';
import type { ThreadRecord } from './runs-store.js';
import { removeThread, threadFolders, type ThreadRemovalDeps } from './thread-removal.js';

/**
 * `POST /threads/{id}/copy`: a new thread with the source's metadata, its checkpoints (state and
 * history) and its workspace, the bare repository included, so the copy's diff is against the
 * same baseline. Its runs stay with the source: the copy starts with none.
 */

export interface ThreadCopyDeps extends ThreadRemovalDeps {
  executor: Pick<Executor, 'deleteThread' | 'copyThread'>;
}

/** Copies the idle thread `source` into a new thread owned by `owner`; the copy's record. */
export async function copyThread(
  deps: ThreadCopyDeps,
  source: ThreadRecord,
  owner: string | null,
): Promise<ThreadRecord> {
  const active = await deps.store.activeRunsOf(source.threadId);
  if (active.length > 0) {
    // A copy taken mid-run would pair one step's checkpoint with another step's files.
    throw new AtolyeError(
      'THREAD_BUSY',
      `thread ${source.threadId} is busy with run ${active[0]?.runId}: copy it once the run has ended`,
    );
  }
  const from = threadFolders(deps.workspaceRoot, source.threadId);
  const threadId = randomUUID();
  const to = threadFolders(deps.workspaceRoot, threadId);
  await deps.store.createThread(threadId, source.metadata, owner);
  try {
    await deps.executor.copyThread(source.threadId, threadId);
    for (const [src, dest] of [
      [from.workTree, to.workTree],
      [from.gitDir, to.gitDir],
    ] as const) {
      if (!(await exists(src))) continue;
      // Links are copied as links, as written: one pointing out of the workspace stays one.
      await cp(src, dest, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    }
  } catch (error) {
    await removeThread(deps, threadId).catch(() => undefined); // the copy failure is the one to report
    throw error;
  }
  return (await deps.store.thread(threadId, { all: true })) as ThreadRecord;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
