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
 * on. Unusable: not valid JSON (LangChain leaves those in `invalid_tool_calls`), JSON that is not
 * one object, or nested too deep. Nothing here throws or recurses: arguments that nest thousands
 * of levels deep would overflow the stack of whatever serialised them next (LangChain's message
 * mapping, IPC).
 */
export function toolCallsOf(
  message: AIMessage,
  fallbackId: (index: number) => string,
): ModelToolCall[] {
  const calls: ModelToolCall[] = [];
  for (const call of message.tool_calls ?? []) {
    const id = call.id || fallbackId(calls.length);
    const args: unknown = call.args;
    if (!isPlainObject(args)) {
      calls.push({ id, name: call.name, args: {}, refused: notAnObject(call.name, args) });
    } else if (nestsDeeperThan(args, MAX_TOOL_ARGS_DEPTH)) {
      calls.push({ id, name: call.name, args: {}, refused: tooDeep(call.name) });
    } else {
      calls.push({ id, name: call.name, args });
    }
  }
  for (const call of message.invalid_tool_calls ?? []) {
    const name = call.name || 'unnamed_tool';
    calls.push({
      id: call.id || fallbackId(calls.length),
      name,
      args: {},
      refused: `Your arguments for ${name} were not valid JSON: ${jsonProblem(call.args, call.error)}. Nothing was run; send the call again with its arguments as one JSON object.`,
    });
  }
  return calls;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * What JSON.parse says about the argument text, e.g. "Unexpected token } in JSON at position 12".
 * LangChain's own `error` repeats the whole text (a file's content, perhaps): only its last line,
 * the parser's message, is kept when the text cannot be parsed again here.
 */
function jsonProblem(text: string | undefined, error: string | undefined): string {
  if (typeof text === 'string') {
    try {
      JSON.parse(text);
    } catch (parseError) {
      if (parseError instanceof Error) return parseError.message;
    }
  }
  const lastLine = error
    ?.trim()
    .split('\n')
    .at(-1)
    ?.replace(/^Error: /, '');
  return lastLine || 'the text could not be parsed';
}

function notAnObject(name: string, args: unknown): string {
  const kind = args === null ? 'null' : Array.isArray(args) ? 'an array' : `a ${typeof args}`;
  return `Your arguments for ${name} were ${kind}, not a JSON object. Nothing was run; send the call again with its arguments as one JSON object, e.g. {"path": "notes.txt"}.`;
}

function tooDeep(name: string): string {
  return `The arguments of ${name} were not used: they nest deeper than ${MAX_TOOL_ARGS_DEPTH} levels of arrays and objects, the limit for tool-call arguments. Call ${name} again with flatter arguments (the tools need two or three levels).`;
}
