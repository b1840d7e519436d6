import { STATE_FIELD, type StoredDebug, type StoredMessage } from './stream-modes.js';

/**
 * Writes what LangGraph streams of a run as the run's stored events, once, for every stream mode
 * of the API (stream-modes.ts renders them per client):
 * - `values`, `updates`, `custom`: as LangGraph gives them;
 * - `debug` (checkpoints, task starts and results, which also make the `checkpoints` and `tasks`
 *   modes): compact, leaving out the state they repeat from the `values` / `updates` just stored;
 * - `messages`: each message a step added, as a LangChain message dict with LangGraph's stream
 *   metadata. LangGraph's own `messages` mode finds nothing here: the steps return stored-message
 *   JSON from the worker host, not LangChain message objects, so the messages are taken from the
 *   steps' updates, once per step (not token by token).
 */

/** The modes the executor asks LangGraph for; `debug` holds what `checkpoints` and `tasks` do. */
export const RECORDED_MODES = ['values', 'updates', 'debug', 'custom'] as const;

export type AppendEvent = (event: string, data: unknown) => void;

interface TaskStart {
  id: string;
  step: number;
  triggers: unknown;
  metadata: Record<string, unknown>;
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Stores what one graph stream of a run yields until it ends or `stop` aborts (then throws its
 * reason). Appends go in order without holding the graph up; it returns once all are written.
 */
export async function recordStream(
  stream: AsyncIterable<[string, unknown]>,
  ids: { threadId: string; runId: string },
  append: (event: string, data: unknown) => Promise<void>,
  stop: AbortSignal,
): Promise<void> {
  const appends: Promise<void>[] = [];
  const record = streamRecorder(ids, (event, data) => appends.push(append(event, data)));
  for await (const [mode, chunk] of stream) {
    if (stop.aborted) break;
    record(mode, chunk);
  }
  await Promise.all(appends);
  if (stop.aborted) throw stop.reason;
}

/** A recorder for one graph stream of a run: call it with each `[mode, chunk]` LangGraph yields. */
export function streamRecorder(
  ids: { threadId: string; runId: string },
  append: AppendEvent,
): (mode: string, chunk: unknown) => void {
  // What the latest stored `values` and `updates` hold: a debug chunk that repeats them leaves
  // its copy out. Per stream, so a run resumed by another process starts with full copies.
  let lastValues: string | undefined;
  let lastUpdates: Json = {};
  const tasks = new Map<string, TaskStart>();

  function compact(chunk: StoredDebug): StoredDebug {
    const payload =
      chunk.type === 'checkpoint' ? storedCheckpoint(chunk.payload) : { ...chunk.payload };
    const field = STATE_FIELD[chunk.type];
    const repeats =
      chunk.type === 'task_result'
        ? sameJson(payload.result, lastUpdates[String(payload.name)])
        : lastValues !== undefined && JSON.stringify(payload[field]) === lastValues;
    if (!repeats) return { ...chunk, payload };
    delete payload[field];
    return { ...chunk, payload, omitted: chunk.type === 'task_result' ? 'updates' : 'values' };
  }

  function messagesOf(updates: Json): void {
    for (const [node, update] of Object.entries(updates)) {
      if (!isRecord(update) || !Array.isArray(update.messages)) continue;
      const task = tasks.get(node);
      update.messages.forEach((stored: unknown, index) => {
        const message = messageDict(stored, `run-${task?.id ?? ids.runId}-${node}-out-${index}`);
        if (message) append('messages', { message, metadata: metadataOf(node, task) });
      });
    }
  }

  /** LangGraph's metadata of a node's messages (StreamMessagesHandler), from the task's start. */
  function metadataOf(node: string, task: TaskStart | undefined): Json {
    const common = {
      tags: [],
      name: node,
      ...task?.metadata,
      thread_id: ids.threadId,
      run_id: ids.runId,
      langgraph_node: node,
      langgraph_path: ['__pregel_pull', node],
    };
    if (!task) return common;
    const namespace = `${node}:${task.id}`;
    return {
      ...common,
      langgraph_step: task.step,
      langgraph_triggers: task.triggers,
      langgraph_checkpoint_ns: namespace,
      checkpoint_ns: namespace,
    };
  }

  return (mode, chunk) => {
    if (mode === 'values') {
      lastValues = JSON.stringify(chunk);
      append('values', chunk);
    } else if (mode === 'updates') {
      append('updates', chunk);
      if (isRecord(chunk)) {
        lastUpdates = chunk;
        messagesOf(chunk);
      }
    } else if (mode === 'debug' && isDebugChunk(chunk)) {
      if (chunk.type === 'task') {
        const { id, name, triggers, metadata } = chunk.payload;
        tasks.set(String(name), {
          id: String(id),
          step: chunk.step,
          triggers,
          metadata: isRecord(metadata) ? metadata : {},
        });
      }
      append('debug', compact(chunk));
    } else {
      append(mode, chunk);
    }
  };
}

function isDebugChunk(chunk: unknown): chunk is StoredDebug {
  return (
    isRecord(chunk) &&
    ['checkpoint', 'task', 'task_result'].includes(String(chunk.type)) &&
    isRecord(chunk.payload)
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A stored message (`{ type, data }`, as the steps return it) as the message dict LangGraph
 * Platform streams (`{ type, content, id, tool_calls, … }`); one without an id gets `fallbackId`,
 * so `messages/metadata` can name it.
 */
function messageDict(stored: unknown, fallbackId: string): StoredMessage['message'] | undefined {
  if (!isRecord(stored) || typeof stored.type !== 'string' || !isRecord(stored.data)) {
    return undefined;
  }
  const { id } = stored.data;
  return {
    ...stored.data,
    type: stored.type,
    id: typeof id === 'string' && id !== '' ? id : fallbackId,
  };
}

/**
 * A debug checkpoint as stored: its config without the callbacks and internal (`__`) keys that
 * LangGraph's own config carries, and of the parent config (the same but for the checkpoint id)
 * only that id. stream-modes.ts rebuilds the rest.
 */
function storedCheckpoint(payload: Json): Json {
  const { parentConfig, config, ...rest } = payload;
  const parentId =
    isRecord(parentConfig) && isRecord(parentConfig.configurable)
      ? parentConfig.configurable.checkpoint_id
      : undefined;
  return {
    config: publicConfig(config),
    ...rest,
    ...(typeof parentId === 'string' ? { parent_checkpoint_id: parentId } : {}),
  };
}

function publicConfig(config: unknown): Json | null {
  if (!isRecord(config)) return null;
  const rest = Object.fromEntries(Object.entries(config).filter(([key]) => key !== 'callbacks'));
  const { configurable } = config;
  if (!isRecord(configurable)) return rest;
  const kept = Object.entries(configurable).filter(([key]) => !key.startsWith('__'));
  return { ...rest, configurable: Object.fromEntries(kept) };
}
