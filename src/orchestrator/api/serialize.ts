import { AtolyeError } from '../../errors.js';
import type { ThreadState } from '../executor.js';
import type { RunRecord, RunsStore, ThreadRecord, ThreadScope } from '../runs-store.js';
import type { AssistantRecord } from '../assistants-store.js';
import { ASSISTANT_UUID } from './schemas.js';

/** Store records in the run API's shapes (LangGraph Platform's field names). */

export function toApiRun(run: RunRecord) {
  return {
    run_id: run.runId,
    thread_id: run.threadId,
    assistant_id: run.control.assistantId ?? ASSISTANT_UUID,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    status: run.status,
    metadata: run.metadata,
    multitask_strategy: run.multitaskStrategy,
    kwargs: { input: { task: run.task }, webhook: run.webhook },
    stop_reason: run.stopReason,
    error: run.error,
    summary: run.summary,
    usage: {
      input_tokens: run.usage.inputTokens,
      output_tokens: run.usage.outputTokens,
      cost_usd: run.usage.costUsd,
    },
    // What a paused run waits for (the held tool calls): its webhook carries them too.
    ...(run.interrupts ? { interrupts: run.interrupts } : {}),
  };
}

export function toApiThread(thread: ThreadRecord, state: ThreadState | undefined) {
  return {
    thread_id: thread.threadId,
    created_at: thread.createdAt,
    updated_at: thread.updatedAt,
    metadata: thread.metadata,
    status: thread.status,
    values: (state?.values as Record<string, unknown> | undefined) ?? null,
  };
}

export function toApiState(threadId: string, state: ThreadState | undefined) {
  return {
    values: (state?.values as Record<string, unknown> | undefined) ?? {},
    next: state?.next ?? [],
    checkpoint: {
      thread_id: threadId,
      checkpoint_ns: '',
      checkpoint_id: state?.checkpointId ?? null,
    },
    metadata: state?.metadata ?? {},
    created_at: state?.createdAt ?? null,
    parent_checkpoint: state?.parentCheckpointId
      ? { thread_id: threadId, checkpoint_ns: '', checkpoint_id: state.parentCheckpointId }
      : null,
    tasks: (state?.tasks ?? []).map((task) => ({
      id: task.id,
      name: task.name,
      error: null,
      interrupts: task.interrupts,
      checkpoint: null,
      state: null,
      result: null,
    })),
  };
}

/**
 * The thread, if it exists and `scope` may see it; THREAD_NOT_FOUND otherwise, the same answer in
 * both cases, so another key's thread ids cannot be probed.
 */
export async function findThread(
  store: RunsStore,
  threadId: string,
  scope: ThreadScope,
): Promise<ThreadRecord> {
  const thread = await store.thread(threadId, scope);
  if (!thread) {
    throw new AtolyeError(
      'THREAD_NOT_FOUND',
      `no thread ${threadId}; create it with POST /threads`,
    );
  }
  return thread;
}

export async function findRun(
  store: RunsStore,
  threadId: string,
  runId: string,
  scope: ThreadScope,
): Promise<RunRecord> {
  await findThread(store, threadId, scope);
  const run = await store.get(runId);
  if (!run || run.threadId !== threadId) {
    throw new AtolyeError('RUN_NOT_FOUND', `no run ${runId} on thread ${threadId}`);
  }
  return run;
}

export function toApiAssistant(assistant: AssistantRecord) {
  return {
    assistant_id: assistant.assistantId,
    graph_id: assistant.graphId,
    name: assistant.name,
    description: assistant.description,
    config: { configurable: assistant.configurable },
    context: {},
    metadata: assistant.metadata,
    version: assistant.version,
    created_at: assistant.createdAt,
    updated_at: assistant.updatedAt,
  };
}
