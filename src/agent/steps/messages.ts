import {
  AIMessage,
  ToolMessage,
  mapChatMessagesToStoredMessages,
  mapStoredMessagesToChatMessages,
  type BaseMessage,
} from '@langchain/core/messages';
import type { StoredMessageJson } from '../graph/steps.js';

/** Stored-message JSON back to chat messages; plain data only, never `load()`. */
export function toChatMessages(stored: readonly StoredMessageJson[]): BaseMessage[] {
  return mapStoredMessagesToChatMessages([...stored]);
}

export function toStored(messages: readonly BaseMessage[]): StoredMessageJson[] {
  return mapChatMessagesToStoredMessages([...messages]) as StoredMessageJson[];
}

/**
 * OpenAI rejects a history in which a tool call has no tool reply (a `finish` call, for one).
 * Each unanswered call gets a short reply right after its turn, so any history can be sent again.
 */
export function answerDanglingToolCalls(messages: readonly BaseMessage[]): BaseMessage[] {
  const out: BaseMessage[] = [];
  let pending: { id: string; name: string }[] = [];
  const flush = (): void => {
    for (const call of pending) {
      out.push(new ToolMessage({ content: 'Noted.', tool_call_id: call.id, name: call.name }));
    }
    pending = [];
  };
  for (const message of messages) {
    if (ToolMessage.isInstance(message)) {
      pending = pending.filter((call) => call.id !== message.tool_call_id);
      out.push(message);
      continue;
    }
    flush();
    out.push(message);
    if (AIMessage.isInstance(message)) {
      pending = (message.tool_calls ?? []).flatMap((call) =>
        call.id ? [{ id: call.id, name: call.name }] : [],
      );
    }
  }
  flush();
  return out;
}

/** Text of a message's content, whether a string or content blocks. */
export function textOf(message: Pick<BaseMessage, 'content'>): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  return content
    .map((block) => (block.type === 'text' && 'text' in block ? String(block.text) : ''))
    .join('');
}

/** Plain-JSON helpers live apart, so steps without the model need no LangChain. */
export { summaryOf } from './stored-messages.js';
