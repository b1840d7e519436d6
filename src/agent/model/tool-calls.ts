import type { AIMessage } from '@langchain/core/messages';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../json-depth.js';

/**
 * How deeply a tool call's arguments may nest. They travel inside the steps' inputs and outputs,
 * a few levels down, and every step call is bounded by the host at MAX_JSON_DEPTH; half of it
 * leaves room for that envelope. The tools take two or three levels.
 */
export const MAX_TOOL_ARGS_DEPTH = MAX_JSON_DEPTH / 2;

/** A tool call as the agent carries it from `act` to `tools`. */
export interface ModelToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
  /**
   * Why the call's arguments cannot be used (not JSON, nested too deep); its `args` are then
   * `{}`. The call is not run: this text is its observation, so the model can correct it.
   */
  refused?: string;
}

/**
 * The tool calls of a model's reply, in a form every later step can handle: the usable calls as
 * they came, then the unusable ones with their arguments dropped and a reason the model can act
 * on. Nothing here throws or recurses: arguments that nest thousands of levels deep would
 * overflow the stack of whatever serialised them next (LangChain's message mapping, IPC).
 */
export function toolCallsOf(
  message: AIMessage,
  fallbackId: (index: number) => string,
): ModelToolCall[] {
  const calls: ModelToolCall[] = [];
  for (const call of message.tool_calls ?? []) {
    const id = call.id || fallbackId(calls.length);
    if (nestsDeeperThan(call.args, MAX_TOOL_ARGS_DEPTH)) {
      calls.push({ id, name: call.name, args: {}, refused: tooDeep(call.name) });
    } else {
      calls.push({ id, name: call.name, args: call.args });
    }
  }
  for (const call of message.invalid_tool_calls ?? []) {
    const name = call.name || 'unnamed_tool';
    calls.push({
      id: call.id || fallbackId(calls.length),
      name,
      args: {},
      refused: `The arguments of ${name} were not used: they are not valid JSON (${call.error ?? 'unparseable'}). Call ${name} again with its arguments as one JSON object.`,
    });
  }
  return calls;
}

function tooDeep(name: string): string {
  return `The arguments of ${name} were not used: they nest deeper than ${MAX_TOOL_ARGS_DEPTH} levels of arrays and objects, the limit for tool-call arguments. Call ${name} again with flatter arguments (the tools need two or three levels).`;
}
