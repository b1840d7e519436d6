import { startMockLlm, type MockLlm } from '../../../src/cli/mock-llm/index.js';

let server: MockLlm;
let origin: string;

beforeEach(async () => {
  server = await startMockLlm({
    script: {
      model: 'scripted',
      turns: [{ reply: { content: 'one' } }, { reply: { content: 'two' } }],
    },
  });
  origin = new URL(server.url).origin;
});

afterEach(async () => {
  await server.close();
});

function chat(path: string, body: unknown): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const hi = { model: 'scripted', messages: [{ role: 'user', content: 'hi' }] };

describe('mock-llm over HTTP', () => {
  it('answers on /chat/completions too, records requests and starts over on reset', async () => {
    const first = await chat('/chat/completions', hi);
    expect(await first.json()).toMatchObject({ choices: [{ message: { content: 'one' } }] });

    const recorded = await fetch(`${origin}/__mock/requests`);
    expect(await recorded.json()).toEqual({
      requests: [{ method: 'POST', path: '/chat/completions', body: hi }],
    });

    expect((await chat('/__mock/reset', {})).status).toBe(200);
    expect(server.requests).toEqual([]);
    const again = await chat('/v1/chat/completions', hi);
    expect(await again.json()).toMatchObject({ choices: [{ message: { content: 'one' } }] });
  });

  it('lists the scripted model', async () => {
    const models = await fetch(`${server.url}/models`);

    expect(await models.json()).toEqual({
      object: 'list',
      data: [{ id: 'scripted', object: 'model', created: 0, owned_by: 'atolye-mock-llm' }],
    });
  });

  it('omits the usage chunk only when the client turns it off', async () => {
    const response = await chat('/v1/chat/completions', {
      ...hi,
      stream: true,
      stream_options: { include_usage: false },
    });
    const text = await response.text();

    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(text).not.toContain('"usage"');
  });

  it.each([
    ['not JSON', '{', 400, 'invalid_json'],
    ['no messages', { model: 'x', messages: [] }, 400, 'invalid_request'],
  ])('answers %s with an OpenAI-style error', async (_name, body, status, code) => {
    const response = await chat('/v1/chat/completions', body);

    expect(response.status).toBe(status);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(await response.json()).toMatchObject({ error: { code, type: 'invalid_request_error' } });
  });

  it('names the expected and received role on a role mismatch', async () => {
    await server.close();
    server = await startMockLlm({
      script: { turns: [{ match: { role: 'tool' }, reply: { content: 'x' } }] },
    });
    origin = new URL(server.url).origin;

    const response = await chat('/v1/chat/completions', hi);

    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({
      error: {
        code: 'mock_script_mismatch',
        message:
          'mock-llm script turn 0 does not match: expected the last message role "tool", received "user"',
      },
    });
  });

  it('answers an unknown route with 404', async () => {
    const response = await fetch(`${origin}/v1/embeddings`, { method: 'POST' });

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('fails to start on a bad script and on a busy port', async () => {
    await expect(startMockLlm({ script: { turns: [{}] } as never })).rejects.toThrow(
      /script is invalid: turns\[0\]\.reply/,
    );
    await expect(
      startMockLlm({ script: { turns: [] }, port: Number(new URL(origin).port) }),
    ).rejects.toMatchObject({ code: 'MOCK_LLM_LISTEN_FAILED' });
  });
});
