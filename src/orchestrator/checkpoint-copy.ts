import type { RunnableConfig } from '@langchain/core/runnables';
import type { BaseCheckpointSaver, CheckpointTuple } from '@langchain/langgraph';

/**
 * Gives thread `to` the whole checkpoint history of thread `from`: every checkpoint with its
 * parent link and its pending writes, under the same checkpoint ids, so the copy's latest state,
 * history and forks read as the source's did. Through the saver's public methods only, so it
 * works on SQLite and Postgres alike. The caller makes sure `from` is idle and `to` is new.
 */
export async function copyThreadCheckpoints(
  saver: BaseCheckpointSaver,
  from: string,
  to: string,
): Promise<number> {
  const tuples: CheckpointTuple[] = [];
  for await (const tuple of saver.list({ configurable: { thread_id: from } })) tuples.push(tuple);
  // list() yields the newest first; parents go in before their children.
  tuples.reverse();
  for (const tuple of tuples) {
    const namespace = String(tuple.config.configurable?.checkpoint_ns ?? '');
    const parentId: unknown = tuple.parentConfig?.configurable?.checkpoint_id;
    const parent: RunnableConfig = {
      configurable: {
        thread_id: to,
        checkpoint_ns: namespace,
        ...(typeof parentId === 'string' ? { checkpoint_id: parentId } : {}),
      },
    };
    // Every channel counts as new: a saver that stores channel values apart (Postgres) writes them all.
    const metadata = { ...(tuple.metadata ?? { source: 'update', step: -1, parents: {} }) };
    // LangGraph records the thread in each checkpoint's metadata: the copy's are its own.
    if ((metadata as { thread_id?: unknown }).thread_id === from) {
      Object.assign(metadata, { thread_id: to });
    }
    const saved = await saver.put(
      parent,
      tuple.checkpoint,
      metadata,
      tuple.checkpoint.channel_versions,
    );
    const byTask = new Map<string, [string, unknown][]>();
    for (const [taskId, channel, value] of tuple.pendingWrites ?? []) {
      const writes = byTask.get(taskId) ?? [];
      writes.push([channel, value]);
      byTask.set(taskId, writes);
    }
    for (const [taskId, writes] of byTask) await saver.putWrites(saved, writes, taskId);
  }
  return tuples.length;
}
