import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import {
  cutIndex,
  estimateTokens,
  sizeOf,
  tasksIn,
  turnStarts,
} from '../../../../src/agent/steps/history-cut.js';

const human = (text: string) => new HumanMessage(text);
const calls = (id: string, ...names: string[]) =>
  new AIMessage({
    content: '',
    tool_calls: names.map((name, i) => ({ id: `${id}-${i}`, name, args: { path: `${id}.txt` } })),
  });
const reply = (id: string, content = 'x'.repeat(100)) =>
  new ToolMessage({ content, tool_call_id: id, name: 'read_file' });

/** Two runs: a task, a turn of two calls, a finish; then a task and three turns of one call. */
function thread(): BaseMessage[] {
  return [
    human('first task'), // 0
    calls('a', 'read_file', 'read_file'), // 1
    reply('a-0'), // 2
    reply('a-1'), // 3
    calls('b', 'finish'), // 4: its call is answered by no tool message
    human('second task'), // 5
    calls('c', 'read_file'), // 6
    reply('c-0'), // 7
    calls('d', 'read_file'), // 8
    reply('d-0'), // 9
    calls('e', 'read_file'), // 10
    reply('e-0'), // 11
  ];
}

/** True when every tool reply after `cut` has its call after `cut` too, and none before it. */
function pairsIntact(messages: BaseMessage[], cut: number): boolean {
  const callIds = (part: BaseMessage[]) =>
    new Set(
      part.flatMap((m) => (AIMessage.isInstance(m) ? (m.tool_calls ?? []).map((c) => c.id) : [])),
    );
  const before = callIds(messages.slice(0, cut));
  const after = callIds(messages.slice(cut));
  return messages.every((message, index) => {
    if (!ToolMessage.isInstance(message)) return true;
    return index < cut ? before.has(message.tool_call_id) : after.has(message.tool_call_id);
  });
}

describe('turnStarts', () => {
  it('starts a turn at every message but a tool reply', () => {
    expect(turnStarts(thread())).toEqual([0, 1, 4, 5, 6, 8, 10]);
  });
});

describe('cutIndex', () => {
  const turnSize = (from: number, to: number) =>
    thread()
      .slice(from, to)
      .reduce((sum, message) => sum + sizeOf(message), 0);

  it('never separates a tool call from its replies, whatever the budget', () => {
    const messages = thread();
    const total = turnSize(0, messages.length);
    for (let keepChars = 0; keepChars <= total + 10; keepChars += 7) {
      const cut = cutIndex(messages, keepChars);
      if (cut === null) continue;
      expect(ToolMessage.isInstance(messages[cut])).toBe(false);
      expect(pairsIntact(messages, cut)).toBe(true);
    }
  });

  it('keeps the newest turn even when it alone is over the budget', () => {
    expect(cutIndex(thread(), 0)).toBe(10);
  });

  it('keeps older turns, newest first, while they fit in the budget', () => {
    const lastTwo = turnSize(8, 12);
    expect(cutIndex(thread(), lastTwo)).toBe(8);
    expect(cutIndex(thread(), lastTwo - 1)).toBe(10);
    // The second task and all of its turns fit: only the first run is condensed.
    expect(cutIndex(thread(), turnSize(5, 12))).toBe(5);
  });

  it('makes no cut when everything but the first task fits: condensing a task alone saves nothing', () => {
    expect(cutIndex(thread(), Number.MAX_SAFE_INTEGER)).toBeNull();
    expect(cutIndex(thread().slice(1), Number.MAX_SAFE_INTEGER)).toBe(3);
  });

  it('makes no cut that would condense only task messages or nothing', () => {
    expect(cutIndex([human('task'), calls('a', 'read_file'), reply('a-0')], 0)).toBeNull();
    expect(cutIndex([human('one'), human('two')], 0)).toBeNull();
    expect(cutIndex([human('only')], 0)).toBeNull();
    expect(cutIndex([], 0)).toBeNull();
  });

  it('cuts a history that starts after an earlier cut, without a task message', () => {
    const rest = thread().slice(6);
    expect(cutIndex(rest, 0)).toBe(4);
    expect(pairsIntact(rest, 4)).toBe(true);
  });
});

describe('sizes and tasks', () => {
  it('counts text and tool call arguments', () => {
    expect(sizeOf(human('abcd'))).toBe(4);
    expect(sizeOf(calls('a', 'read_file'))).toBe('read_file'.length + '{"path":"a.txt"}'.length);
    expect(estimateTokens([human('abcde')])).toBe(2);
  });

  it('lists the tasks, oldest first', () => {
    expect(tasksIn(thread())).toEqual(['first task', 'second task']);
  });
});
