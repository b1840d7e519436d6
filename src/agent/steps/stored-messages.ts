import type { StoredMessageJson } from '../graph/steps.js';

/**
 * Stored-message JSON read and written as plain data, in the exact shape LangChain's
 * `mapChatMessagesToStoredMessages` gives (a test holds the two equal). The steps that never
 * talk to the model (`tools`, `finalize`) use these, so their bundles carry no LangChain.
 */

interface StoredToolCall {
  name: string;
  args: unknown;
}

/** A tool's reply to one call, as `new ToolMessage({ content, tool_call_id, name }).toDict()`. */
export function storedToolMessage(call: {
  id: string;
  name: string;
  content: string;
}): StoredMessageJson {
  return {
    type: 'tool',
    data: {
      content: call.content,
      tool_call_id: call.id,
      name: call.name,
      additional_kwargs: {},
      response_metadata: {},
      role: undefined,
    },
  };
}

/** The `summary` argument of a `finish` call, or "" when it has none. */
export function summaryOf(args: unknown): string {
  const summary = (args as { summary?: unknown } | null)?.summary;
  return typeof summary === 'string' ? summary : '';
}

/** The summary of the latest `finish` call that has one, newest message first. */
export function lastFinishSummary(stored: readonly StoredMessageJson[]): string | undefined {
  for (let i = stored.length - 1; i >= 0; i -= 1) {
    const message = stored[i] as StoredMessageJson;
    if (message.type !== 'ai') continue;
    const finish = toolCallsOf(message.data).find((call) => call.name === 'finish');
    const summary = finish ? summaryOf(finish.args) : '';
    if (summary) return summary;
  }
  return undefined;
}

/**
 * An AI message's tool calls as `AIMessage` reads them: its own `tool_calls`, or else the
 * OpenAI-format calls an older writer left in `additional_kwargs` (unparsable ones are skipped).
 */
function toolCallsOf(data: StoredMessageJson['data']): StoredToolCall[] {
  const own = (data as { tool_calls?: unknown }).tool_calls;
  if (Array.isArray(own)) return own.filter(isToolCall);
  const raw = data.additional_kwargs?.tool_calls;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry: unknown) => {
    const fn = (entry as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
    if (!fn || typeof fn.arguments !== 'string') return [];
    try {
      return [{ name: typeof fn.name === 'string' ? fn.name : '', args: JSON.parse(fn.arguments) }];
    } catch {
      return [];
    }
  });
}

function isToolCall(value: unknown): value is StoredToolCall {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as StoredToolCall).name === 'string'
  );
}
