import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { textOf } from './messages.js';

/**
 * Where a thread's history may be cut for condensation, and what stays word for word. Pure: sizes
 * are characters, and the caller converts its token budget with the model's own counts.
 */

/** Characters a message costs the model: its text and its tool calls' names and arguments. */
export function sizeOf(message: BaseMessage): number {
  let size = textOf(message).length;
  if (AIMessage.isInstance(message)) {
    for (const call of message.tool_calls ?? []) {
      size += call.name.length + JSON.stringify(call.args ?? {}).length;
    }
  }
  return size;
}

export function sizeOfAll(messages: readonly BaseMessage[]): number {
  return messages.reduce((total, message) => total + sizeOf(message), 0);
}

/** Characters / 4, rounded up: the usual estimate, for a server that reports no usage. */
export function estimateTokens(messages: readonly BaseMessage[]): number {
  return Math.ceil(sizeOfAll(messages) / 4);
}

/**
 * The index of the first message still sent word for word, or null when nothing is worth
 * condensing. A cut falls only before a message that is not a tool reply, so an AI message's tool
 * calls and their replies always stay on one side: OpenAI rejects a call without its reply and a
 * reply without its call. The newest turn is always kept; older turns are kept, newest first,
 * while they fit in `keepChars`. A cut that would condense only task messages saves nothing and
 * is not made.
 */
export function cutIndex(messages: readonly BaseMessage[], keepChars: number): number | null {
  const starts = turnStarts(messages);
  if (starts.length < 2) return null;
  let index = starts.length - 1;
  let cut = starts[index] as number;
  let kept = sizeOfAll(messages.slice(cut));
  // starts[0] is never the cut: that would keep everything.
  while (index > 1) {
    const start = starts[index - 1] as number;
    const size = sizeOfAll(messages.slice(start, cut));
    if (kept + size > keepChars) break;
    kept += size;
    cut = start;
    index -= 1;
  }
  const condensed = messages.slice(0, cut);
  return condensed.some((message) => AIMessage.isInstance(message)) ? cut : null;
}

/** Indexes of the messages a turn starts with: every message that is not a tool reply. */
export function turnStarts(messages: readonly BaseMessage[]): number[] {
  const starts: number[] = [];
  messages.forEach((message, index) => {
    if (!ToolMessage.isInstance(message)) starts.push(index);
  });
  return starts;
}

/** The user's tasks among `messages`, oldest first: each run's task opens its part of the history. */
export function tasksIn(messages: readonly BaseMessage[]): string[] {
  return messages.filter((message) => HumanMessage.isInstance(message)).map(textOf);
}
