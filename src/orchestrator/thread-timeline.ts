import type { AgentGraph } from '../agent/graph/index.js';
import { AtolyeError } from '../errors.js';
import type { ThreadState, ThreadTimeline } from './executor-types.js';
import { checkpointIdOf, toThreadState } from './run-control.js';

/**
 * A thread's past: its checkpoints newest first, one of them by id, and a state update (a person's
 * edit, attributed to a node). Forks are runs started from a checkpoint (RunControl.checkpointId).
 */

export function threadTimeline(graph: AgentGraph): ThreadTimeline {
  const at = (threadId: string, checkpointId?: string) => ({
    configurable: {
      thread_id: threadId,
      ...(checkpointId === undefined ? {} : { checkpoint_id: checkpointId }),
    },
  });
  return {
    async history(threadId, query) {
      const states: ThreadState[] = [];
      for await (const snapshot of graph.getStateHistory(at(threadId), {
        limit: query.limit,
        ...(query.before === undefined ? {} : { before: at(threadId, query.before) }),
        ...(query.metadata === undefined ? {} : { filter: query.metadata }),
      })) {
        const state = toThreadState(snapshot);
        if (state) states.push(state);
      }
      return states;
    },

    async stateAt(threadId, checkpointId) {
      const snapshot = await graph.getState(at(threadId, checkpointId));
      // An unknown id gives an empty snapshot that echoes the id asked for: no time, no metadata.
      const state = snapshot.createdAt === undefined ? undefined : toThreadState(snapshot);
      if (state === undefined || state.checkpointId !== checkpointId) {
        throw new AtolyeError(
          'CHECKPOINT_NOT_FOUND',
          `thread ${threadId} has no checkpoint ${checkpointId}; list them with POST /threads/${threadId}/history`,
        );
      }
      return state;
    },

    async update(threadId, values, options) {
      if (options.checkpointId !== undefined) await this.stateAt(threadId, options.checkpointId);
      const written = await graph.updateState(
        at(threadId, options.checkpointId),
        values,
        options.asNode,
      );
      return checkpointIdOf(written) ?? '';
    },
  };
}
