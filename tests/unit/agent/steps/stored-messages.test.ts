import {
  AIMessage,
  HumanMessage,
  ToolMessage,
  mapChatMessagesToStoredMessages,
  mapStoredMessagesToChatMessages,
} from '@langchain/core/messages';
import { StoredMessageJson } from '../../../../src/agent/graph/steps.js';
import {
  lastFinishSummary,
  storedToolMessage,
} from '../../../../src/agent/steps/stored-messages.js';

/** As the wire carries it: JSON, parsed by the step schema. */
const wire = (value: unknown): StoredMessageJson[] =>
  StoredMessageJson.array().parse(JSON.parse(JSON.stringify(value)));

describe('stored messages as plain JSON', () => {
  it('write a tool reply exactly as LangChain stores a ToolMessage', () => {
    const plain = storedToolMessage({ id: 'c1', name: 'write_file', content: 'Wrote a.txt' });
    const langchain = mapChatMessagesToStoredMessages([
      new ToolMessage({ content: 'Wrote a.txt', tool_call_id: 'c1', name: 'write_file' }),
    ]);
    expect(JSON.stringify([plain])).toBe(JSON.stringify(langchain));
    // …and LangChain reads it back as the same message.
    const [back] = mapStoredMessagesToChatMessages(wire([plain]));
    expect(ToolMessage.isInstance(back) && back.tool_call_id).toBe('c1');
  });

  it('read the latest finish summary as AIMessage would, in both stored forms', () => {
    const stored = wire([
      ...mapChatMessagesToStoredMessages([
        new HumanMessage('task'),
        new AIMessage({
          content: '',
          tool_calls: [{ id: 'f1', name: 'finish', args: { summary: 'first' } }],
        }),
        new AIMessage({
          content: '',
          tool_calls: [{ id: 'w', name: 'write_file', args: { path: 'a' } }],
        }),
      ]),
    ]);
    expect(lastFinishSummary(stored)).toBe('first');
    // An older writer's OpenAI-format calls in additional_kwargs; unparsable ones are skipped.
    const legacy = wire([
      {
        type: 'ai',
        data: {
          content: '',
          additional_kwargs: {
            tool_calls: [
              {
                id: 'f2',
                type: 'function',
                function: { name: 'finish', arguments: '{"summary":"second"}' },
              },
              { id: 'f3', type: 'function', function: { name: 'finish', arguments: '{' } },
            ],
          },
        },
      },
    ]);
    expect(lastFinishSummary([...stored, ...legacy])).toBe('second');
    expect(lastFinishSummary(wire(mapChatMessagesToStoredMessages([new HumanMessage('x')])))).toBe(
      undefined,
    );
  });
});
