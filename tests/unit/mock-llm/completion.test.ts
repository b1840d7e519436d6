import {
  completionBody,
  completionChunks,
  estimateTokens,
  messageText,
  prepareReply,
  splitInPieces,
} from '../../../src/cli/mock-llm/completion.js';

const request = { messages: [{ role: 'user', content: 'abcdefgh' }] };

describe('mock-llm completions', () => {
  it('splits text into at most n pieces that join back', () => {
    expect(splitInPieces('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    expect(splitInPieces('ab', 3)).toEqual(['a', 'b']);
    expect(splitInPieces('', 3)).toEqual([]);
  });

  it('reads text from string and part-array content', () => {
    expect(messageText('plain')).toBe('plain');
    expect(messageText([{ type: 'text', text: 'a' }, { type: 'image_url' }, { text: 'b' }])).toBe(
      'ab',
    );
    expect(messageText(null)).toBe('');
  });

  it('estimates usage as characters / 4 rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcde')).toBe(2);
    const reply = prepareReply({ reply: { content: 'abcd' } }, request, {
      sequence: 1,
      model: 'm',
    });
    expect(reply.usage).toEqual({ prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 });
  });

  it('builds a chat.completion with tool calls as JSON strings', () => {
    const reply = prepareReply(
      { reply: { tool_calls: [{ name: 'run_command', arguments: { command: 'ls' } }] } },
      { ...request, model: 'asked-for' },
      { sequence: 4, model: 'mock' },
    );

    expect(completionBody(reply)).toMatchObject({
      id: 'chatcmpl-mock-4',
      object: 'chat.completion',
      model: 'asked-for',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_mock_4_0',
                type: 'function',
                function: { name: 'run_command', arguments: '{"command":"ls"}' },
              },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
    });
  });

  it('sends string arguments verbatim, even when they are not JSON', () => {
    const reply = prepareReply(
      {
        reply: {
          tool_calls: [
            { name: 'write_file', arguments: '{"path": "a.txt", ' },
            { name: 'list_files', arguments: '[[[[]]]]' },
          ],
        },
      },
      request,
      { sequence: 2, model: 'm' },
    );
    expect(reply.toolCalls.map((call) => call.function.arguments)).toEqual([
      '{"path": "a.txt", ',
      '[[[[]]]]',
    ]);
  });

  it('streams deltas that rebuild the reply, with the usage chunk only when asked', () => {
    const reply = prepareReply(
      {
        reply: {
          content: 'Hello world',
          tool_calls: [{ name: 'finish', arguments: { summary: 'ok' } }],
        },
        usage: { prompt_tokens: 3, completion_tokens: 4 },
      },
      request,
      { sequence: 2, model: 'mock' },
    );
    type Chunk = {
      object: string;
      usage?: object;
      choices: Array<{
        finish_reason: string | null;
        delta: {
          content?: string;
          tool_calls?: Array<{
            index: number;
            id?: string;
            function: { name?: string; arguments: string };
          }>;
        };
      }>;
    };
    const chunks = completionChunks(reply, true) as Chunk[];
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));

    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(deltas.map((delta) => delta.content ?? '').join('')).toBe('Hello world');
    const calls = deltas.flatMap((delta) => delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: 'call_mock_2_0', function: { name: 'finish' } });
    expect(calls.map((call) => call.function.arguments).join('')).toBe('{"summary":"ok"}');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    });
    expect((completionChunks(reply, false) as Chunk[]).some((chunk) => chunk.usage)).toBe(false);
  });
});
