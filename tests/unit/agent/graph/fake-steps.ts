import { AIMessage, mapChatMessagesToStoredMessages, ToolMessage } from '@langchain/core/messages';
import type { CallStep, StepCallOptions } from '../../../../src/agent/graph/graph.js';
import type { StepName } from '../../../../src/agent/graph/steps.js';

/** One scripted reply: a value, an error to throw, or a function of the call. */
export type Reply = unknown;
type ReplyFn = (input: unknown, options: StepCallOptions) => unknown;

export interface RecordedCall {
  name: StepName;
  input: unknown;
  options: StepCallOptions;
}

/**
 * A `callStep` that answers from a per-step script. A step's last reply repeats once its script
 * runs out, so loops (stuck, max iterations) need a single entry.
 */
export function scriptedSteps(script: Partial<Record<StepName, Reply[]>>) {
  const calls: RecordedCall[] = [];
  const used: Partial<Record<StepName, number>> = {};
  const callStep: CallStep = async (name, input, options) => {
    calls.push({ name, input: structuredClone(input), options });
    const replies = script[name] ?? [];
    const index = used[name] ?? 0;
    used[name] = index + 1;
    const reply = replies[Math.min(index, replies.length - 1)];
    if (reply === undefined) throw new Error(`no scripted reply for ${name}`);
    if (reply instanceof Error) throw reply;
    const value = typeof reply === 'function' ? await (reply as ReplyFn)(input, options) : reply;
    // What crossed the network is JSON, never class instances.
    return JSON.parse(JSON.stringify(value)) as unknown;
  };
  const count = (name: StepName) => calls.filter((call) => call.name === name).length;
  const order = () => calls.map((call) => call.name);
  return { callStep, calls, count, order };
}

export const usage = (inputTokens: number, outputTokens: number, costUsd = 0) => ({
  inputTokens,
  outputTokens,
  costUsd,
});

export function planReply() {
  return {
    plan: { steps: ['write hello.txt'], checks: ['cat hello.txt'] },
    usage: usage(10, 5, 0.001),
  };
}

export function toolCallReply(
  id: string,
  name: string,
  args: Record<string, unknown>,
  tokens = 20,
) {
  const message = new AIMessage({ content: '', tool_calls: [{ id, name, args }] });
  return {
    messages: mapChatMessagesToStoredMessages([message]),
    toolCalls: [{ id, name, args }],
    usage: usage(tokens, tokens, 0.002),
  };
}

export function finishReply(summary = 'wrote hello.txt') {
  const message = new AIMessage({ content: summary });
  return {
    messages: mapChatMessagesToStoredMessages([message]),
    finish: { summary },
    usage: usage(15, 5, 0.001),
  };
}

export function toolsReply(
  calls: { id: string; name: string }[],
  content = 'ok',
  extra: { filesChanged?: string[]; commandResults?: unknown[] } = {},
) {
  return {
    messages: mapChatMessagesToStoredMessages(
      calls.map((call) => new ToolMessage({ content, tool_call_id: call.id, name: call.name })),
    ),
    results: calls.map((call) => ({ id: call.id, name: call.name, ok: true, content })),
    ...extra,
  };
}

/** Tools step that answers whatever it was asked, with a fixed observation. */
export function echoTools(content = 'ok') {
  return (input: unknown) =>
    toolsReply((input as { toolCalls: { id: string; name: string }[] }).toolCalls, content);
}

export const reviewDone = { done: true, usage: usage(8, 2, 0.0005) };
export const finalizeReply = { summary: 'Wrote hello.txt.', usage: usage(5, 5, 0.0005) };
