import type { StateSnapshot } from '@langchain/langgraph';
import type { AgentGraph } from '../agent/graph/index.js';
import { AtolyeError } from '../errors.js';
import type { ChannelLogger } from '../logging/index.js';
import type { DeferredCheckpointSaver } from './checkpointer.js';
import type { RunSnapshots } from './executor-types.js';
import { isPaused } from './run-control.js';
import type { RunRecord, RunsStore } from './runs-store.js';

/**
 * Where a run that starts (not one picked up after a restart) begins: the thread's latest state, a
 * checkpoint it forks from, or — replacing runs with multitask_strategy "rollback" — where the
 * first of those started. Forks and rollbacks bring the workspace files back too.
 */

export interface StartDeps {
  graph: AgentGraph;
  checkpointer: Pick<DeferredCheckpointSaver, 'deleteThread'>;
  store: RunsStore;
  snapshots: RunSnapshots | undefined;
  log: Pick<ChannelLogger, 'info'>;
}

/**
 * The state a starting run builds on: the thread's latest, or the checkpoint it forks from. A
 * new task on a paused thread is refused: its held calls must be answered first.
 */
export async function startingPoint(
  deps: StartDeps,
  run: RunRecord,
  latest: StateSnapshot,
): Promise<StateSnapshot> {
  const { graph, store, snapshots } = deps;
  if (run.control.rollback) return rollBack(deps, run, run.control.rollback);
  const fork = run.control.checkpointId;
  if (fork !== undefined) {
    const from = await graph.getState({
      configurable: { thread_id: run.threadId, checkpoint_id: fork },
    });
    // LangGraph brings the state back; the files come back from the checkpoint's commit.
    await snapshots?.restore(run.threadId, from.values.workspaceCommit ?? null);
    return from;
  }
  const before = (await store.runsOf(run.threadId)).filter((other) => other.runId !== run.runId);
  const newTask = run.control.resume === undefined && run.control.continue !== true;
  if (newTask && isPaused(before.at(-1))) {
    throw new AtolyeError(
      'THREAD_INTERRUPTED',
      `thread ${run.threadId} is paused before ${latest.next.join(', ')}; answer it first (command.resume) or continue it (input null)`,
    );
  }
  return latest;
}

/**
 * The runs `run` replaces (multitask_strategy "rollback") have stopped: they go, and the thread
 * goes back to where the first of them started, files included.
 */
async function rollBack(
  deps: StartDeps,
  run: RunRecord,
  replaced: string[],
): Promise<StateSnapshot> {
  const { graph, checkpointer, store, snapshots, log } = deps;
  // The files as the first replaced run found them; none to bring back if it never started.
  const start = await snapshots?.runStart(run.threadId, replaced[0] ?? '');
  for (const runId of replaced) await store.deleteRun(runId);
  if (start !== undefined) await snapshots?.restore(run.threadId, start);
  const target = run.control.checkpointId;
  if (target === undefined) {
    // The first of them started the thread: nothing before it to keep.
    await checkpointer.deleteThread(run.threadId);
  }
  log.info('rolled back', { replaced, checkpointId: target ?? null });
  return graph.getState({
    configurable: { thread_id: run.threadId, ...(target ? { checkpoint_id: target } : {}) },
  });
}
