import type { RunEvent } from './run-events.js';

/**
 * The run API's stream modes (LangGraph Platform's names) and what each sends. A run's events are
 * stored once, whatever modes its first client asked for (stream-recorder.ts writes them); every
 * client's stream is rendered from the stored events for the modes that client asks, so a
 * re-attach may ask for other modes than the stream it lost.
 */

export const STREAM_MODES = [
  'values',
  'updates',
  'messages',
  'messages-tuple',
  'debug',
  'checkpoints',
  'tasks',
  'custom',
] as const;
export type StreamMode = (typeof STREAM_MODES)[number];

/** What a re-attach that names no stream_mode gets: the modes this API began with. */
export const DEFAULT_JOIN_MODES: readonly StreamMode[] = ['values', 'updates', 'custom'];

/** Events every stream carries, whatever modes it asked for. */
const ALWAYS = new Set(['metadata', 'error', 'end']);

/** LangGraph modes this API refuses on purpose, and why: a client should not have to guess. */
const REFUSED: Record<string, string> = {
  events:
    "events are LangChain's callback events of the runnables run inside the server, and this agent's steps run as HTTP calls on the worker host; use tasks or debug for each step's start and result, messages-tuple for its messages",
};

export function isStreamMode(mode: string): mode is StreamMode {
  return (STREAM_MODES as readonly string[]).includes(mode);
}

/** Why `modes` cannot be streamed, naming each refused one; undefined when all can. */
export function refusalOf(modes: readonly string[]): string | undefined {
  const refused = modes.filter((mode) => !isStreamMode(mode));
  if (refused.length === 0) return undefined;
  const reasons = refused.flatMap((mode) => (REFUSED[mode] ? [` (${REFUSED[mode]})`] : []));
  return `${refused.join(', ')} ${refused.length === 1 ? 'is' : 'are'} not supported${reasons.join('')}; the supported modes are ${STREAM_MODES.join(', ')}`;
}

/**
 * A stored `debug` event: LangGraph's debug chunk (a checkpoint, a task's start or its result).
 * Its state field (STATE_FIELD) is left out when it equals an earlier stored event, and
 * `omitted` says which: the latest `values` event, or for a result the task's entry in the
 * latest `updates` event; a run would otherwise store its whole state three times a step. A
 * checkpoint keeps of its parent config only `parent_checkpoint_id`.
 */
export interface StoredDebug {
  type: 'checkpoint' | 'task' | 'task_result';
  step: number;
  timestamp: string;
  payload: Record<string, unknown>;
  omitted?: 'values' | 'updates';
}

export const STATE_FIELD = { checkpoint: 'values', task: 'input', task_result: 'result' } as const;

/** A stored `messages` event: one message a step added, as a LangChain message dict. */
export interface StoredMessage {
  message: { id: string; type: string } & Record<string, unknown>;
  /** LangGraph's `messages` stream metadata: the step, node, triggers and task namespace. */
  metadata: Record<string, unknown>;
}

/** One server-sent event: a stored event may send none, one, or several. */
export interface StreamPart {
  event: string;
  data: unknown;
}

/**
 * Turns a run's stored events, read in order, into the server-sent events of a stream's modes.
 * It remembers the latest `values` and `updates` it has read, the data a compact `debug` event
 * refers to; a stream that starts mid-run asks `earlier` for them instead.
 */
export class StreamRenderer {
  private readonly latest = new Map<'values' | 'updates', unknown>();

  constructor(
    private readonly modes: ReadonlySet<string>,
    /** The data of the run's latest event named `event` before position `seq`. */
    private readonly earlier: (event: 'values' | 'updates', seq: number) => Promise<unknown>,
  ) {}

  async render(stored: RunEvent): Promise<StreamPart[]> {
    const { event, data } = stored;
    if (event === 'values' || event === 'updates') this.latest.set(event, data);
    if (event === 'debug') return this.debug(stored);
    if (event === 'messages') return this.messages(data as StoredMessage);
    return ALWAYS.has(event) || this.modes.has(event) ? [{ event, data }] : [];
  }

  private async debug(stored: RunEvent): Promise<StreamPart[]> {
    const { omitted, ...chunk } = stored.data as StoredDebug;
    const mode = chunk.type === 'checkpoint' ? 'checkpoints' : 'tasks';
    const [asMode, asDebug] = [this.modes.has(mode), this.modes.has('debug')];
    if (!asMode && !asDebug) return [];
    let payload = chunk.payload;
    if (omitted !== undefined) {
      const state = await this.restore(omitted, stored.seq, String(payload.name));
      payload = { ...payload, [STATE_FIELD[chunk.type]]: state };
    }
    if (chunk.type === 'checkpoint') payload = checkpointPayload(payload);
    return [
      ...(asMode ? [{ event: mode, data: payload }] : []),
      ...(asDebug ? [{ event: 'debug', data: { ...chunk, payload } }] : []),
    ];
  }

  private async restore(from: 'values' | 'updates', seq: number, task: string): Promise<unknown> {
    if (!this.latest.has(from)) this.latest.set(from, await this.earlier(from, seq));
    const data = this.latest.get(from);
    return from === 'values' ? data : (data as Record<string, unknown> | undefined)?.[task];
  }

  private messages({ message, metadata }: StoredMessage): StreamPart[] {
    return [
      ...(this.modes.has('messages')
        ? [
            { event: 'messages/metadata', data: { [message.id]: { metadata } } },
            { event: 'messages/complete', data: [message] },
          ]
        : []),
      ...(this.modes.has('messages-tuple')
        ? [{ event: 'messages', data: [message, metadata] }]
        : []),
    ];
  }
}

/**
 * A stored checkpoint as LangGraph Platform streams it: `values` after the config, the parent
 * config (the config with the parent's checkpoint id) in snake case, and both checkpoints' ids.
 */
function checkpointPayload(stored: Record<string, unknown>): Record<string, unknown> {
  const { config, values, parent_checkpoint_id: parentId, ...rest } = stored;
  const parentConfig = typeof parentId === 'string' ? withCheckpointId(config, parentId) : null;
  return {
    config,
    values,
    ...rest,
    parent_config: parentConfig,
    checkpoint: checkpointOf(config),
    parent_checkpoint: checkpointOf(parentConfig),
  };
}

type Configurable = Record<string, unknown> & { configurable?: Record<string, unknown> };

function withCheckpointId(config: unknown, checkpointId: string): Configurable {
  const base = (config ?? {}) as Configurable;
  return { ...base, configurable: { ...base.configurable, checkpoint_id: checkpointId } };
}

function checkpointOf(config: unknown): Record<string, unknown> | null {
  const configurable = (config as Configurable | null)?.configurable;
  if (typeof configurable?.checkpoint_id !== 'string') return null;
  return {
    thread_id: configurable.thread_id,
    checkpoint_ns: configurable.checkpoint_ns ?? '',
    checkpoint_id: configurable.checkpoint_id,
  };
}
