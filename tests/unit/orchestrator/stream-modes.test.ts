import { MemorySaver } from '@langchain/langgraph';
import { buildAgentGraph, type CallStep } from '../../../src/agent/graph/index.js';
import type { RunEvent } from '../../../src/orchestrator/run-events.js';
import {
  StreamRenderer,
  STREAM_MODES,
  type StreamPart,
} from '../../../src/orchestrator/stream-modes.js';
import { RECORDED_MODES, streamRecorder } from '../../../src/orchestrator/stream-recorder.js';

// The real agent graph, its steps answered in-process: what the recorder stores, rendered back,
// is what LangGraph streamed, though the stored events leave out the state they repeat.

type Json = Record<string, unknown>;
const usage = { inputTokens: 1, outputTokens: 1, costUsd: 0 };
const call = { id: 'call-1', name: 'write_file', args: { path: 'a.txt' } };

const callStep: CallStep = async (name, input) => {
  if (name === 'plan') {
    return {
      plan: { steps: ['write a.txt'], checks: [] },
      messages: [{ type: 'human', data: { content: (input as { task: string }).task } }],
      usage,
    };
  }
  if (name === 'act') {
    if ((input as { iteration: number }).iteration >= 2) {
      return {
        messages: [{ type: 'ai', data: { content: 'done' } }],
        finish: { summary: 's' },
        usage,
      };
    }
    const reply = { type: 'ai', data: { content: '', tool_calls: [call], id: 'chatcmpl-1' } };
    return { messages: [reply], toolCalls: [call], usage };
  }
  if (name === 'tools') {
    return {
      messages: [{ type: 'tool', data: { content: 'ok', tool_call_id: call.id, name: call.name } }],
      results: [{ id: call.id, name: call.name, ok: true, content: 'ok' }],
      filesChanged: ['a.txt'],
      commandResults: [],
    };
  }
  if (name === 'review') return { done: true, feedback: null, messages: [] };
  return { summary: 'summary' };
};

/** One run on `threadId`: LangGraph's raw chunks and the events the recorder stored from them. */
async function recordRun(
  graph: ReturnType<typeof buildAgentGraph>,
  threadId: string,
  task: string,
) {
  const raw: [string, Json][] = [];
  const rows: RunEvent[] = [];
  const record = streamRecorder({ threadId, runId: `run-${task}` }, (event, data) =>
    rows.push({ seq: rows.length + 1, event, data: JSON.parse(JSON.stringify(data)) }),
  );
  const stream = await graph.stream(
    { task },
    { configurable: { thread_id: threadId }, streamMode: [...RECORDED_MODES] },
  );
  for await (const [mode, chunk] of stream) {
    raw.push([mode, JSON.parse(JSON.stringify(chunk)) as Json]);
    record(mode, chunk);
  }
  return { raw, rows };
}

/** The stored events from position `from` on, rendered in order as one stream would be. */
async function render(rows: RunEvent[], modes: string[], from = 0): Promise<StreamPart[]> {
  const renderer = new StreamRenderer(
    new Set(modes),
    async (event, seq) => rows.filter((row) => row.event === event && row.seq < seq).at(-1)?.data,
  );
  const parts: StreamPart[] = [];
  for (const row of rows.slice(from)) parts.push(...(await renderer.render(row)));
  return parts;
}

const withoutCallbacks = (config: unknown): Json | null => {
  if (config === undefined) return null;
  return Object.fromEntries(Object.entries(config as Json).filter(([key]) => key !== 'callbacks'));
};

test('every debug chunk LangGraph streamed comes back from the stored events, state included', async () => {
  const graph = buildAgentGraph({ callStep, checkpointer: new MemorySaver() });
  await recordRun(graph, 'thread-1', 'first');
  // A follow-up run: its first checkpoint is the thread as the first run left it.
  const { raw, rows } = await recordRun(graph, 'thread-1', 'second');

  const expected = raw.filter(([mode]) => mode === 'debug').map(([, chunk]) => chunk);
  const rendered = (await render(rows, ['debug'])).map((part) => part.data as Json);
  expect(rendered).toHaveLength(expected.length);
  rendered.forEach((chunk, index) => {
    const original = expected[index] as Json & { payload: Json };
    const { parentConfig, config, ...payload } = original.payload;
    if (original.type === 'checkpoint') {
      expect(chunk).toEqual({
        ...original,
        payload: {
          ...payload,
          config: withoutCallbacks(config),
          parent_config: withoutCallbacks(parentConfig),
          checkpoint: expect.objectContaining({ checkpoint_id: expect.any(String) }),
          parent_checkpoint: parentConfig === undefined ? null : expect.any(Object),
        },
      });
    } else {
      expect(chunk).toEqual(original);
    }
  });

  // Stored, only the follow-up's first checkpoint keeps a state: the others repeat one.
  const stored = rows.filter((row) => row.event === 'debug').map((row) => row.data as Json);
  expect(stored.filter((chunk) => chunk.omitted === undefined)).toEqual([
    expect.objectContaining({
      type: 'checkpoint',
      payload: expect.objectContaining({
        metadata: expect.objectContaining({ source: 'input' }),
        values: expect.objectContaining({ task: 'first', status: 'success' }),
      }),
    }),
  ]);
});

test('a stream that starts mid-run renders the rest as the whole stream does', async () => {
  const graph = buildAgentGraph({ callStep, checkpointer: new MemorySaver() });
  const { rows } = await recordRun(graph, 'thread-2', 'cut');
  const modes = [...STREAM_MODES];
  for (let from = 0; from < rows.length; from += 1) {
    const tail = await render(rows, modes, from);
    const full = await render(rows, modes);
    expect(tail).toEqual(full.slice(full.length - tail.length));
  }
});

test('messages keep the id the model gave them; the others get one from their task', async () => {
  const graph = buildAgentGraph({ callStep, checkpointer: new MemorySaver() });
  const { rows } = await recordRun(graph, 'thread-3', 'ids');
  const tuples = (await render(rows, ['messages-tuple'])).map((part) => part.data as [Json, Json]);
  expect(tuples.map(([message]) => [message.type, message.id])).toEqual([
    ['human', expect.stringMatching(/^run-.+-plan-out-0$/)],
    ['ai', 'chatcmpl-1'],
    ['tool', expect.stringMatching(/^run-.+-tools-out-0$/)],
    ['ai', expect.stringMatching(/^run-.+-act-out-0$/)],
  ]);
  // The task id in a generated message id is the task the metadata names.
  const [human, metadata] = tuples[0] as [Json, Json];
  expect(String(human.id)).toContain(String(metadata.langgraph_checkpoint_ns).split(':')[1]);
});
