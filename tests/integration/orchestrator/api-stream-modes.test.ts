import path from 'node:path';
import type { Client } from '@langchain/langgraph-sdk';
import { type StreamMode } from '@langchain/langgraph-sdk';
import Database from 'better-sqlite3';
import type { tempDir } from '../../helpers/tmp.js';
import { useTestApi, type TestApi } from './api-helpers.js';

// The stream modes through the official SDK, against the real orchestrator in front of a real
// worker host running the scripted steps: plan, act (write_file), tools, act (done), review,
// finalize.

type Json = Record<string, unknown>;
interface Part {
  event: string;
  data: unknown;
  id?: string;
}

const ALL_MODES: StreamMode[] = [
  'values',
  'updates',
  'messages',
  'messages-tuple',
  'debug',
  'checkpoints',
  'tasks',
  'custom',
];
const SUPPORTED = 'values, updates, messages, messages-tuple, debug, checkpoints, tasks, custom';

let root: ReturnType<typeof tempDir>;
let api: TestApi;
let client: Client;

useTestApi('atolye-api-stream-modes-', (started) => {
  ({ api, client, root } = started);
});

/** The parts of a stream, all of them or the first `count` (leaving drops the connection). */
async function collect(stream: AsyncIterable<unknown>, count = Infinity): Promise<Part[]> {
  const parts: Part[] = [];
  if (count <= 0) return parts;
  for await (const part of stream) {
    parts.push(part as Part);
    if (parts.length >= count) break;
  }
  return parts;
}

async function streamTask(task: string, streamMode: StreamMode[]) {
  const thread = await client.threads.create();
  const parts = await collect(
    client.runs.stream(thread.thread_id, 'atolye', { input: { task }, streamMode }),
  );
  const runId = (parts[0]?.data as { run_id: string }).run_id;
  return { threadId: thread.thread_id, runId, parts };
}

const named = (parts: Part[], event: string) => parts.filter((part) => part.event === event);
const dataOf = <T = Json>(parts: Part[], event: string) =>
  named(parts, event).map((part) => part.data as T);

/** The data of the latest `event` before position `index` of `parts`. */
function latestBefore(parts: Part[], index: number, event: string): unknown {
  return parts.slice(0, index).findLast((part) => part.event === event)?.data;
}

test('messages-tuple: each message a step adds, once, as [message dict, metadata]', async () => {
  const { threadId, runId, parts } = await streamTask('tuple notes', ['messages-tuple']);
  expect(parts.map((part) => part.event)).toEqual([
    'metadata',
    ...Array(4).fill('messages'),
    'end',
  ]);
  const tuples = dataOf<[Json, Json]>(parts, 'messages');
  const [human, call, reply, done] = tuples.map(([message]) => message);
  expect(human).toMatchObject({ type: 'human', content: 'tuple notes' });
  expect(call).toMatchObject({
    type: 'ai',
    content: '',
    tool_calls: [{ id: 'call-1', name: 'write_file', args: { path: 'notes.txt' } }],
  });
  expect(reply).toMatchObject({ type: 'tool', tool_call_id: 'call-1', content: 'ok' });
  expect(done).toMatchObject({ type: 'ai', content: 'done' });

  const ids = tuples.map(([message]) => message.id);
  expect(new Set(ids).size).toBe(4);
  expect(ids.every((id) => typeof id === 'string' && id !== '')).toBe(true);
  const metadata = tuples.map(([, meta]) => meta);
  expect(metadata.map((meta) => meta.langgraph_node)).toEqual(['plan', 'act', 'tools', 'act']);
  for (const meta of metadata) {
    expect(meta).toMatchObject({
      tags: [],
      thread_id: threadId,
      run_id: runId,
      langgraph_step: expect.any(Number),
      langgraph_triggers: [`branch:to:${String(meta.langgraph_node)}`],
      langgraph_path: ['__pregel_pull', meta.langgraph_node],
      langgraph_checkpoint_ns: expect.stringMatching(
        new RegExp(`^${String(meta.langgraph_node)}:`),
      ),
    });
  }
  const steps = metadata.map((meta) => meta.langgraph_step as number);
  expect(steps).toEqual([...steps].sort((a, b) => a - b));
  expect(new Set(steps).size).toBe(4);

  // The same messages as the thread's transcript, in order.
  const state = await client.threads.getState<{ messages: { type: string; data: Json }[] }>(
    threadId,
  );
  expect(tuples.map(([message]) => [message.type, message.content])).toEqual(
    state.values.messages.map((message) => [message.type, message.data.content]),
  );
});

test('messages: messages/metadata then messages/complete for each message, ids <seq>:<part>', async () => {
  const { parts } = await streamTask('legacy messages', ['messages']);
  const events = parts.map((part) => part.event);
  expect(events).toEqual([
    'metadata',
    ...Array(4).fill(['messages/metadata', 'messages/complete']).flat(),
    'end',
  ]);
  const pairs = parts.slice(1, -1);
  for (let i = 0; i < pairs.length; i += 2) {
    const [meta, complete] = [pairs[i] as Part, pairs[i + 1] as Part];
    const [id, entry] = Object.entries(meta.data as Record<string, { metadata: Json }>)[0] ?? [];
    expect(entry?.metadata).toMatchObject({ langgraph_node: expect.any(String) });
    expect(complete.data).toEqual([expect.objectContaining({ id, type: expect.any(String) })]);
    // One stored event sends both: the ids say which part of it each is.
    const seq = meta.id?.split(':')[0];
    expect([meta.id, complete.id]).toEqual([`${seq}:0`, `${seq}:1`]);
  }
  expect(dataOf<Json[]>(parts, 'messages/complete').map(([message]) => message?.type)).toEqual([
    'human',
    'ai',
    'tool',
    'ai',
  ]);
});

test('debug: checkpoints, task starts and results, with the state values and updates hold', async () => {
  const { threadId, parts } = await streamTask('debugged', ['debug', 'values', 'updates']);
  const debug = dataOf<{ type: string; step: number; timestamp: string; payload: Json }>(
    parts,
    'debug',
  );
  expect(debug.map((chunk) => chunk.type)).toEqual([
    'checkpoint',
    'checkpoint',
    ...Array(6).fill(['task', 'task_result', 'checkpoint']).flat(),
  ]);
  for (const chunk of debug) {
    expect(chunk).toEqual({
      type: chunk.type,
      step: expect.any(Number),
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      payload: expect.any(Object),
    });
  }
  const starts = debug.filter((chunk) => chunk.type === 'task');
  expect(starts.map((chunk) => chunk.payload.name)).toEqual([
    'plan',
    'act',
    'tools',
    'act',
    'review',
    'finalize',
  ]);

  // Every state a debug event holds is the one the values and updates events hold.
  parts.forEach((part, index) => {
    if (part.event !== 'debug') return;
    const { type, payload } = part.data as { type: string; payload: Json };
    // The first checkpoint is the thread before the run's input: no values event holds it.
    if (type === 'checkpoint' && (payload.metadata as Json).source !== 'input') {
      expect(payload.values).toEqual(latestBefore(parts, index, 'values'));
    } else if (type === 'task') {
      expect(payload.input).toEqual(latestBefore(parts, index, 'values'));
      expect(payload.triggers).toEqual([`branch:to:${String(payload.name)}`]);
    } else if (type === 'task_result') {
      const updates = latestBefore(parts, index, 'updates') as Json;
      expect(payload).toMatchObject({ error: null, interrupts: [] });
      expect(payload.result).toEqual(updates[String(payload.name)]);
    }
  });

  const checkpoints = debug.filter((chunk) => chunk.type === 'checkpoint').map((c) => c.payload);
  checkpoints.forEach((checkpoint, index) => {
    expect(checkpoint).toMatchObject({
      config: { configurable: { thread_id: threadId, checkpoint_id: expect.any(String) } },
      values: expect.any(Object),
      metadata: { step: index - 1 },
      next: expect.any(Array),
      tasks: expect.any(Array),
      checkpoint: { thread_id: threadId, checkpoint_ns: '', checkpoint_id: expect.any(String) },
    });
    expect(checkpoint.config).not.toHaveProperty('callbacks');
    const parent = checkpoints[index - 1]?.checkpoint as Json | undefined;
    expect(checkpoint.parent_checkpoint).toEqual(parent ?? null);
    expect((checkpoint.parent_config as Json | null)?.configurable ?? null).toEqual(
      parent ? expect.objectContaining({ checkpoint_id: parent.checkpoint_id }) : null,
    );
  });
  const last = checkpoints.at(-1) as Json;
  expect(last).toMatchObject({ next: [], values: { status: 'success', task: 'debugged' } });
  const state = await client.threads.getState(threadId);
  expect((last.checkpoint as Json).checkpoint_id).toBe(state.checkpoint.checkpoint_id);
});

test("a run paused for approval streams the held calls as the tools task's interrupts", async () => {
  const thread = await client.threads.create();
  const parts = await collect(
    client.runs.stream(thread.thread_id, 'atolye', {
      input: { task: 'held notes' },
      config: { configurable: { approval: 'always' } },
      streamMode: ALL_MODES,
    }),
  );
  expect(parts.at(-1)?.event).toBe('end');
  const tools = dataOf(parts, 'tasks').filter((task) => task.name === 'tools');
  expect(tools).toEqual([
    expect.objectContaining({ input: expect.objectContaining({ task: 'held notes' }) }),
    expect.objectContaining({
      interrupts: [expect.objectContaining({ value: expect.any(Object) })],
    }),
  ]);
  // The call was held, not run: the model's call is streamed, no tool answer.
  const messages = dataOf<[Json, Json]>(parts, 'messages').map(([message]) => message.type);
  expect(messages).toEqual(['human', 'ai']);
  const last = dataOf(parts, 'checkpoints').at(-1);
  expect(last).toMatchObject({ next: ['tools'] });
  const state = await client.threads.getState(thread.thread_id);
  expect((last?.checkpoint as Json).checkpoint_id).toBe(state.checkpoint.checkpoint_id);
});

test('checkpoints and tasks send the payloads debug wraps, and nothing else', async () => {
  const { threadId, runId, parts } = await streamTask('payloads', ['checkpoints', 'tasks']);
  expect(new Set(parts.map((part) => part.event))).toEqual(
    new Set(['metadata', 'checkpoints', 'tasks', 'end']),
  );
  const tasks = dataOf(parts, 'tasks');
  expect(tasks[0]).toEqual({
    id: expect.any(String),
    name: 'plan',
    input: expect.objectContaining({ task: 'payloads' }),
    triggers: ['branch:to:plan'],
    interrupts: [],
    metadata: expect.any(Object),
  });
  expect(tasks[1]).toMatchObject({
    id: tasks[0]?.id,
    name: 'plan',
    result: expect.objectContaining({ taskPlan: expect.any(Object) }),
    error: null,
  });

  // The same run re-attached in debug mode: the same payloads, wrapped.
  const debug = await collect(client.runs.joinStream(threadId, runId, { streamMode: ['debug'] }));
  const wrapped = dataOf<{ type: string; payload: unknown }>(debug, 'debug');
  expect(wrapped.filter((chunk) => chunk.type === 'checkpoint').map((c) => c.payload)).toEqual(
    dataOf(parts, 'checkpoints'),
  );
  expect(wrapped.filter((chunk) => chunk.type !== 'checkpoint').map((c) => c.payload)).toEqual(
    tasks,
  );
});

test("a run's events are stored once: a re-attach may ask for modes its first stream did not", async () => {
  const { threadId, runId, parts } = await streamTask('values first', ['values']);
  expect(new Set(parts.map((part) => part.event))).toEqual(new Set(['metadata', 'values', 'end']));
  const later = await collect(
    client.runs.joinStream(threadId, runId, { streamMode: ['messages-tuple', 'tasks'] }),
  );
  expect(named(later, 'messages')).toHaveLength(4);
  expect(named(later, 'tasks')).toHaveLength(12);
  expect(named(later, 'values')).toEqual([]);
});

test('Last-Event-ID: a cut after any event of a finished run replays exactly the rest', async () => {
  const { threadId, runId, parts } = await streamTask('every cut', ALL_MODES);
  const replay = await collect(
    client.runs.joinStream(threadId, runId, { streamMode: ALL_MODES, lastEventId: '-1' }),
  );
  expect(replay).toEqual(parts);
  expect(new Set(parts.map((part) => part.id)).size).toBe(parts.length);
  for (let cut = 0; cut < parts.length - 1; cut += 1) {
    const rest = await collect(
      client.runs.joinStream(threadId, runId, {
        streamMode: ALL_MODES,
        lastEventId: parts[cut]?.id,
      }),
    );
    expect({ cut, ids: rest.map((part) => part.id) }).toEqual({
      cut,
      ids: parts.slice(cut + 1).map((part) => part.id),
    });
    expect(rest).toEqual(parts.slice(cut + 1));
  }
});

test('a stream dropped while its run goes on resumes after Last-Event-ID without repeats', async () => {
  const thread = await client.threads.create();
  // "slow": the plan step takes a moment, so the run is still going when the stream drops, and
  // the cut falls between the two events one stored checkpoint sends (checkpoints, debug).
  const first = await collect(
    client.runs.stream(thread.thread_id, 'atolye', {
      input: { task: 'slow drop' },
      streamMode: ALL_MODES,
    }),
    2,
  );
  expect(first.map((part) => part.event)).toEqual(['metadata', 'checkpoints']);
  const runId = (first[0]?.data as { run_id: string }).run_id;
  const lastEventId = first[1]?.id;
  expect(lastEventId).toMatch(/^\d+:0$/);

  const rest = await collect(
    client.runs.joinStream(thread.thread_id, runId, { streamMode: ALL_MODES, lastEventId }),
  );
  expect(rest[0]?.event).toBe('debug');
  expect(rest.at(-1)?.event).toBe('end');
  const whole = await collect(
    client.runs.joinStream(thread.thread_id, runId, { streamMode: ALL_MODES }),
  );
  expect([...first, ...rest]).toEqual(whole);
  expect(named(whole, 'messages')).toHaveLength(4);
  expect((await client.runs.get(thread.thread_id, runId)).status).toBe('success');
});

test('unsupported stream modes are a 400 naming them and listing the supported ones', async () => {
  const thread = await client.threads.create();
  const headers = { 'x-api-key': api.key, 'content-type': 'application/json' };
  const started = await fetch(`${api.url}/threads/${thread.thread_id}/runs/stream`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      assistant_id: 'atolye',
      input: { task: 'never runs' },
      stream_mode: ['values', 'events'],
    }),
  });
  expect(started.status).toBe(400);
  const { error } = (await started.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe('INVALID_REQUEST');
  expect(error.message).toContain('stream_mode.1: events is not supported (events are LangChain');
  expect(error.message).toContain('use tasks or debug');
  expect(error.message).toContain(`the supported modes are ${SUPPORTED}`);
  expect(await client.runs.list(thread.thread_id)).toEqual([]);

  const { runId, threadId } = await streamTask('then re-attach', ['values']);
  const joined = await fetch(
    `${api.url}/threads/${threadId}/runs/${runId}/stream?stream_mode=events&stream_mode=lifecycle&stream_mode=values`,
    { headers },
  );
  expect(joined.status).toBe(400);
  expect(await joined.json()).toMatchObject({
    error: {
      code: 'RUN_INVALID',
      message: expect.stringMatching(
        new RegExp(
          `^stream_mode events, lifecycle are not supported \\(.+\\); the supported modes are ${SUPPORTED}$`,
        ),
      ),
    },
  });
});

test('the stored events hold no state twice: debug events refer to the values and updates stored', async () => {
  const { runId } = await streamTask('bounded', ['values']);
  const db = new Database(path.join(root.dir, 'api-data', 'orchestrator.sqlite'), {
    readonly: true,
  });
  try {
    const rows = db
      .prepare(`SELECT event, data FROM run_events WHERE run_id = ? ORDER BY seq`)
      .all(runId) as { event: string; data: string }[];
    const debug = rows
      .filter((row) => row.event === 'debug')
      .map((row) => JSON.parse(row.data) as { type: string; payload: Json; omitted?: string });
    expect(debug).toHaveLength(20);
    // Only the first checkpoint (the thread before the run's input) keeps a state of its own.
    const withState = debug.filter(
      ({ payload }) => 'values' in payload || 'input' in payload || 'result' in payload,
    );
    expect(withState.map((chunk) => [chunk.type, chunk.payload.metadata])).toEqual([
      ['checkpoint', expect.objectContaining({ source: 'input', step: -1 })],
    ]);
    // Of a checkpoint's parent config, only the id is kept; no callbacks.
    for (const { payload } of debug) {
      expect(payload).not.toHaveProperty('parentConfig');
      expect(payload).not.toHaveProperty('parent_config');
      expect(JSON.stringify(payload)).not.toContain('callbacks');
    }
    expect(rows.filter((row) => row.event === 'messages')).toHaveLength(4);
  } finally {
    db.close();
  }
});
