import { parseScript } from '../../../src/cli/mock-llm/script.js';

describe('mock-llm script', () => {
  it('accepts a full script and defaults the model to "mock"', () => {
    const script = parseScript({
      turns: [
        {
          match: { contains: 'hi', role: 'user' },
          reply: { content: 'Hello', tool_calls: [{ name: 'finish', arguments: { ok: true } }] },
          usage: { prompt_tokens: 1, completion_tokens: 2 },
        },
      ],
      fallback: { reply: { content: 'bye' } },
    });

    expect(script.model).toBe('mock');
    expect(script.turns[0]?.reply.tool_calls?.[0]?.arguments).toEqual({ ok: true });
    expect(script.fallback?.reply.content).toBe('bye');
  });

  it.each([
    [{}, /\(root\)|turns: /],
    [{ turns: [{ reply: { content: 1 } }] }, /turns\[0\]\.reply\.content: .*expected string/],
    [
      { turns: [{ reply: { content: 'x' }, match: { role: 'system' } }] },
      /turns\[0\]\.match\.role: /,
    ],
    [
      { turns: [{ reply: { tool_calls: [{ name: 'x', arguments: [] }] } }] },
      /turns\[0\]\.reply\.tool_calls\[0\]\.arguments: /,
    ],
    [
      { turns: [{ reply: { content: 'x' }, usage: { prompt_tokens: -1, completion_tokens: 0 } }] },
      /turns\[0\]\.usage\.prompt_tokens: /,
    ],
    [{ turns: [], extra: true }, /\(root\): .*"extra"/],
    [{ turns: [], fallback: { reply: { content: 'x' }, match: {} } }, /fallback: .*"match"/],
  ])('rejects %j naming the field', (value, message) => {
    expect(() => parseScript(value, 'script.json')).toThrow(message);
    expect(() => parseScript(value, 'script.json')).toThrow(/^script\.json is invalid: /);
  });

  it('throws an AtolyeError with a stable code', () => {
    expect(() => parseScript({ turns: 'no' })).toThrow(
      expect.objectContaining({ code: 'MOCK_LLM_SCRIPT_INVALID', retryable: false }),
    );
  });
});
