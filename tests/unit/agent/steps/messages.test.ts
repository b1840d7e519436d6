import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import * as z from 'zod';
import { parseJsonReply } from '../../../../src/agent/steps/json-reply.js';
import {
  answerDanglingToolCalls,
  summaryOf,
  textOf,
  toChatMessages,
  toStored,
} from '../../../../src/agent/steps/messages.js';

describe('step message helpers', () => {
  it('round-trips messages through stored JSON that crossed the network', () => {
    const original = [
      new HumanMessage('hi'),
      new AIMessage({ content: '', tool_calls: [{ id: 'a', name: 'list_files', args: {} }] }),
      new ToolMessage({ content: 'x', tool_call_id: 'a', name: 'list_files' }),
    ];
    const wire = JSON.parse(JSON.stringify(toStored(original))) as ReturnType<typeof toStored>;
    const back = toChatMessages(wire);
    expect(back.map((m) => m.type)).toEqual(['human', 'ai', 'tool']);
    expect((back[1] as AIMessage).tool_calls).toEqual([
      expect.objectContaining({ id: 'a', name: 'list_files', args: {} }),
    ]);
  });

  it('answers unanswered tool calls right after their turn and leaves answered ones alone', () => {
    const fixed = answerDanglingToolCalls([
      new AIMessage({
        content: '',
        tool_calls: [
          { id: 'a', name: 'read_file', args: {} },
          { id: 'b', name: 'finish', args: {} },
        ],
      }),
      new ToolMessage({ content: 'read', tool_call_id: 'a' }),
      new HumanMessage('more'),
      new AIMessage({ content: '', tool_calls: [{ id: 'c', name: 'finish', args: {} }] }),
    ]);
    expect(
      fixed.map((m) => (ToolMessage.isInstance(m) ? `tool:${m.tool_call_id}` : m.type)),
    ).toEqual(['ai', 'tool:a', 'tool:b', 'human', 'ai', 'tool:c']);
  });

  it('reads text from strings and content blocks, and finish summaries from any arguments', () => {
    expect(textOf({ content: 'plain' })).toBe('plain');
    expect(
      textOf({
        content: [
          { type: 'text', text: 'a' },
          { type: 'image_url', image_url: 'x' },
          { type: 'text', text: 'b' },
        ],
      }),
    ).toBe('ab');
    expect(summaryOf({ summary: 'done' })).toBe('done');
    expect(summaryOf({ summary: 3 })).toBe('');
    expect(summaryOf(null)).toBe('');
  });
});

describe('parseJsonReply', () => {
  const Shape = z.object({ done: z.boolean() });

  it('finds the object inside prose and fences', () => {
    expect(parseJsonReply('Sure:\n```json\n{"done": true}\n```\nThanks', Shape)).toEqual({
      ok: true,
      value: { done: true },
    });
  });

  it('names what is wrong', () => {
    expect(parseJsonReply('no json here', Shape)).toEqual({
      ok: false,
      problem: 'no JSON object found',
    });
    expect(parseJsonReply('{done: yes}', Shape)).toEqual({
      ok: false,
      problem: 'the JSON does not parse',
    });
    expect(parseJsonReply('{"done": "yes"}', Shape)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^done: /),
    });
    expect(parseJsonReply('[] {}', z.array(z.number()))).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^\(object\): /),
    });
  });
});
