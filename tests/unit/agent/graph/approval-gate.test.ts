import { Command, MemorySaver } from '@langchain/langgraph';
import type { ApprovalPolicy, HeldCall } from '../../../../src/agent/approval/index.js';
import type { ApprovalGate } from '../../../../src/agent/graph/approval-gate.js';
import { buildAgentGraph } from '../../../../src/agent/graph/graph.js';
import type { ToolCall } from '../../../../src/agent/graph/steps.js';
import {
  echoTools,
  finalizeReply,
  finishReply,
  planReply,
  reviewDone,
  scriptedSteps,
  toolsReply,
} from './fake-steps.js';
import { AIMessage, mapChatMessagesToStoredMessages } from '@langchain/core/messages';

// A run whose model asks for two calls at once; the gate holds the ones `holds` names.
const calls = [
  { id: 'c-read', name: 'read_file', args: { path: 'a.txt' } },
  { id: 'c-rm', name: 'delete_file', args: { path: 'b.txt' } },
] satisfies ToolCall[];

function twoCallsReply() {
  const message = new AIMessage({ content: '', tool_calls: calls });
  return { messages: mapChatMessagesToStoredMessages([message]), toolCalls: calls };
}

function gateHolding(holds: string[], policies: ApprovalPolicy[] = []): ApprovalGate {
  return {
    defaultPolicy: 'risky',
    held: async (asked, policy) => {
      policies.push(policy);
      return asked
        .filter((call) => holds.includes(call.id))
        .map((call): HeldCall => ({ call, reason: `${call.name} is risky` }));
    },
    sign: (threadId, call) => `sig:${threadId}:${call.id}:${JSON.stringify(call.args)}`,
  };
}

function run(gate: ApprovalGate, tools: unknown = echoTools('done')) {
  const steps = scriptedSteps({
    plan: [planReply()],
    act: [twoCallsReply(), finishReply()],
    tools: [tools],
    review: [reviewDone],
    finalize: [finalizeReply],
  });
  const graph = buildAgentGraph({
    callStep: steps.callStep,
    checkpointer: new MemorySaver(),
    approval: gate,
  });
  const config = { configurable: { thread_id: 't-1', run_id: 'r-1' } };
  return { steps, graph, config };
}

async function pausedRun(gate: ApprovalGate, tools?: unknown) {
  const started = run(gate, tools);
  await started.graph.invoke({ task: 'tidy up' }, started.config);
  const snapshot = await started.graph.getState(started.config);
  return { ...started, interrupts: snapshot.tasks.flatMap((task) => task.interrupts) };
}

const toolMessages = (state: { messages: { type: string; data: { content: unknown } }[] }) =>
  state.messages.filter((m) => m.type === 'tool').map((m) => String(m.data.content));

describe('approval gate in the agent graph', () => {
  it('pauses before tools with one held call, naming it and why', async () => {
    const { steps, interrupts } = await pausedRun(gateHolding(['c-rm']));

    expect(steps.count('tools')).toBe(0);
    expect(interrupts.map((i) => i.value)).toEqual([
      {
        tool_calls: [
          {
            id: 'c-rm',
            name: 'delete_file',
            args: { path: 'b.txt' },
            reason: 'delete_file is risky',
          },
        ],
        reason: 'delete_file waits for approval: delete_file is risky',
      },
    ]);
  });

  it('names how many calls wait, and the policy, when several are held', async () => {
    const { interrupts } = await pausedRun(gateHolding(['c-read', 'c-rm']));
    expect(interrupts[0]?.value).toMatchObject({
      reason: '2 tool calls wait for approval (approval "risky")',
    });
  });

  it('runs the approved calls with their signatures and the policy', async () => {
    const { steps, graph, config } = await pausedRun(gateHolding(['c-rm']));
    const state = await graph.invoke(new Command({ resume: { approved: true } }), config);

    const toolsInput = steps.calls.find((call) => call.name === 'tools')?.input;
    expect(toolsInput).toEqual({
      toolCalls: calls,
      approval: 'risky',
      approvals: { 'c-rm': 'sig:t-1:c-rm:{"path":"b.txt"}' },
    });
    expect(state.status).toBe('success');
    expect(toolMessages(state)).toEqual(['done', 'done']);
  });

  it('tells the model a rejected call never ran, in the order the model asked', async () => {
    const { steps, graph, config } = await pausedRun(gateHolding(['c-read']));
    const state = await graph.invoke(
      new Command({ resume: { approved: false, reason: 'not that file' } }),
      config,
    );

    // Only the call nobody held ran.
    const toolsInput = steps.calls.find((call) => call.name === 'tools')?.input;
    expect(toolsInput).toEqual({ toolCalls: [calls[1]], approval: 'risky' });
    expect(toolMessages(state)).toEqual([
      'A person rejected this read_file call; it was not run. Reason: not that file',
      'done',
    ]);
  });

  it('does not call tools at all when every call is rejected', async () => {
    const { steps, graph, config } = await pausedRun(gateHolding(['c-read', 'c-rm']));
    const state = await graph.invoke(new Command({ resume: { approved: false } }), config);

    expect(steps.count('tools')).toBe(0);
    expect(toolMessages(state)).toHaveLength(2);
    expect(state.status).toBe('success');
  });

  it('runs an edited call with the new arguments and says so in its result', async () => {
    const { steps, graph, config } = await pausedRun(gateHolding(['c-rm']));
    const state = await graph.invoke(
      new Command({ resume: { approved: true, edits: { 'c-rm': { path: 'c.txt' } } } }),
      config,
    );

    const toolsInput = steps.calls.find((call) => call.name === 'tools')?.input as {
      toolCalls: ToolCall[];
      approvals: Record<string, string>;
    };
    expect(toolsInput.toolCalls[1]).toEqual({
      id: 'c-rm',
      name: 'delete_file',
      args: { path: 'c.txt' },
    });
    expect(toolsInput.approvals).toEqual({ 'c-rm': 'sig:t-1:c-rm:{"path":"c.txt"}' });
    expect(toolMessages(state)).toEqual([
      'done',
      'A person edited this call\'s arguments before it ran, to {"path":"c.txt"}.\ndone',
    ]);
  });

  it('uses the policy the run names, else the gate default, and runs what nothing holds', async () => {
    const asked: ApprovalPolicy[] = [];
    const { steps, graph } = run(gateHolding([], asked));
    await graph.invoke(
      { task: 'tidy up' },
      { configurable: { thread_id: 't-2', approval: 'always' } },
    );
    const other = run(gateHolding([], asked));
    await other.graph.invoke(
      { task: 'tidy up' },
      { configurable: { thread_id: 't-3', approval: 'sometimes' } },
    );

    expect(asked).toEqual(['always', 'risky']);
    expect(steps.calls.find((call) => call.name === 'tools')?.input).toEqual({
      toolCalls: calls,
      approval: 'always',
    });
  });

  it('sends no approval fields when the run has no gate', async () => {
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [twoCallsReply(), finishReply()],
      tools: [toolsReply(calls)],
      review: [reviewDone],
      finalize: [finalizeReply],
    });
    const graph = buildAgentGraph({ callStep: steps.callStep });
    await graph.invoke({ task: 'tidy up' }, { configurable: { thread_id: 't-4' } });
    expect(steps.calls.find((call) => call.name === 'tools')?.input).toEqual({ toolCalls: calls });
  });
});
