import { HumanMessage, mapChatMessagesToStoredMessages } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import { buildAgentGraph } from '../../../../src/agent/graph/graph.js';
import {
  echoTools,
  finalizeReply,
  finishReply,
  planReply,
  reviewDone,
  scriptedSteps,
  toolCallReply,
  usage,
} from './fake-steps.js';

// The graph's side of condensation: `act` reports what it condensed, the state keeps the summary
// beside the append-only messages, and every step is sent only the history after it.

const config = (threadId: string, runId = 'run-1') => ({
  configurable: { thread_id: threadId, run_id: runId },
});

const planWithTask = (task: string) => ({
  ...planReply(),
  messages: mapChatMessagesToStoredMessages([new HumanMessage(task)]),
});

const condensation = (dropped: number, summary = 'S1') => ({
  summary,
  tasks: ['write hello.txt'],
  dropped,
  source: 'model',
  tokensBefore: 900,
  tokensAfter: 300,
  usage: usage(400, 40),
});

interface ActInput {
  messages: { type: string }[];
  condensed?: unknown;
  contextTokens?: number;
}

function condensingScript() {
  return scriptedSteps({
    plan: [planWithTask('write hello.txt')],
    act: [
      { ...toolCallReply('c1', 'read_file', { path: 'a' }), contextTokens: 900 },
      // Condenses the task, c1 and its reply: the three messages it was sent.
      {
        ...toolCallReply('c2', 'read_file', { path: 'b' }),
        condensation: condensation(3),
        contextTokens: 300,
      },
      { ...finishReply(), contextTokens: 350 },
    ],
    tools: [echoTools()],
    review: [reviewDone],
    finalize: [finalizeReply],
  });
}

describe('condensed history in the graph', () => {
  it('keeps every message, sends the steps only those after the summary, and carries the tokens', async () => {
    const steps = condensingScript();
    const graph = buildAgentGraph({ callStep: steps.callStep });
    const state = await graph.invoke({ task: 'write hello.txt' }, config('thread-c'));

    expect(state.status).toBe('success');
    const acts = steps.calls.filter((call) => call.name === 'act').map((c) => c.input as ActInput);
    expect(acts[0]).toMatchObject({ condensed: null, contextTokens: 0 });
    expect(acts[1]?.messages.map((m) => m.type)).toEqual(['human', 'ai', 'tool']);
    expect(acts[1]).toMatchObject({ condensed: null, contextTokens: 900 });
    // After the condensation: only the turn after the cut, with the summary beside it.
    expect(acts[2]?.messages.map((m) => m.type)).toEqual(['ai', 'tool']);
    expect(acts[2]).toMatchObject({
      condensed: { summary: 'S1', tasks: ['write hello.txt'] },
      contextTokens: 300,
    });
    const finalize = steps.calls.find((call) => call.name === 'finalize')?.input as ActInput;
    expect(finalize.messages.map((m) => m.type)).toEqual(['ai', 'tool', 'ai']);

    // The transcript stays whole; the summary is a value beside it, plain JSON.
    expect(state.messages.map((m) => m.type)).toEqual(['human', 'ai', 'tool', 'ai', 'tool', 'ai']);
    expect(state.condensed).toEqual({ summary: 'S1', tasks: ['write hello.txt'], keepFrom: 3 });
    expect(state.contextTokens).toBe(350);
    expect(JSON.parse(JSON.stringify(state.condensed))).toEqual(state.condensed);
    // The act entry counts the summary call: the fake step's usage is what the graph adds up.
    expect(state.usage.totals.inputTokens).toBe(10 + 20 + 20 + 15 + 8 + 5);
  });

  it('sends a follow-up run its plan the summary and the history after it, and condenses further from there', async () => {
    const checkpointer = new MemorySaver();
    const first = condensingScript();
    await buildAgentGraph({ callStep: first.callStep, checkpointer }).invoke(
      { task: 'write hello.txt' },
      config('thread-f'),
    );

    const next = scriptedSteps({
      plan: [planWithTask('now b')],
      act: [
        // Sent [ai c2, tool, ai finish, human 'now b']; condenses the first two.
        {
          ...toolCallReply('c3', 'read_file', { path: 'c' }),
          condensation: condensation(2, 'S2'),
        },
        finishReply('done b'),
      ],
      tools: [echoTools()],
      review: [reviewDone],
      finalize: [finalizeReply],
    });
    const state = await buildAgentGraph({ callStep: next.callStep, checkpointer }).invoke(
      { task: 'now b' },
      config('thread-f', 'run-2'),
    );

    const plan = next.calls.find((call) => call.name === 'plan')?.input as ActInput;
    expect(plan.messages.map((m) => m.type)).toEqual(['ai', 'tool', 'ai']);
    expect(plan.condensed).toEqual({ summary: 'S1', tasks: ['write hello.txt'] });
    expect(state.condensed).toMatchObject({ summary: 'S2', keepFrom: 3 + 2 });
    const lastAct = next.calls.filter((call) => call.name === 'act').at(-1)?.input as ActInput;
    expect(lastAct.messages.map((m) => m.type)).toEqual(['ai', 'human', 'ai', 'tool']);
  });

  it('resumes after a crash with the condensed state of its last checkpoint', async () => {
    const checkpointer = new MemorySaver();
    const crash = new AbortController();
    const crashing = scriptedSteps({
      plan: [planWithTask('write hello.txt')],
      act: [
        { ...toolCallReply('c1', 'read_file', { path: 'a' }), contextTokens: 900 },
        {
          ...toolCallReply('c2', 'read_file', { path: 'b' }),
          condensation: condensation(3),
          contextTokens: 300,
        },
        () => {
          crash.abort();
          return new Promise(() => undefined);
        },
      ],
      tools: [echoTools()],
    });
    await expect(
      buildAgentGraph({ callStep: crashing.callStep, checkpointer }).invoke(
        { task: 'write hello.txt' },
        { ...config('thread-r'), signal: crash.signal },
      ),
    ).rejects.toThrow();

    const resumed = scriptedSteps({
      act: [{ ...finishReply(), contextTokens: 320 }],
      review: [reviewDone],
      finalize: [finalizeReply],
    });
    const state = await buildAgentGraph({ callStep: resumed.callStep, checkpointer }).invoke(
      null,
      config('thread-r'),
    );
    expect(resumed.order()).toEqual(['act', 'review', 'finalize']);
    expect(state.status).toBe('success');
    expect(resumed.calls[0]?.input).toMatchObject({
      messages: [{ type: 'ai' }, { type: 'tool' }],
      condensed: { summary: 'S1' },
      contextTokens: 300,
    });
  });

  it('ends the run with STEP_BAD_OUTPUT when act claims to condense more than it was sent', async () => {
    const steps = scriptedSteps({
      plan: [planWithTask('write hello.txt')],
      act: [{ ...toolCallReply('c1', 'read_file', { path: 'a' }), condensation: condensation(2) }],
      finalize: [finalizeReply],
    });
    const state = await buildAgentGraph({ callStep: steps.callStep }).invoke(
      { task: 'write hello.txt' },
      config('thread-bad'),
    );
    expect(state.status).toBe('error');
    expect(state.error).toMatchObject({ code: 'STEP_BAD_OUTPUT' });
    expect(state.error?.message).toContain('condensed 2 messages but was sent 1');
    expect(state.condensed).toBeNull();
  });
});
