import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { HumanMessage } from '@langchain/core/messages';
import { startMockLlm, type MockLlm } from '../../../../src/cli/mock-llm/index.js';
import type { ScriptInput } from '../../../../src/cli/mock-llm/script.js';
import { loadConfig, type AtolyeConfig } from '../../../../src/config/index.js';
import {
  costOf,
  createChatModel,
  invokeModel,
  type ModelSettings,
} from '../../../../src/agent/model/index.js';

/** Every URL fetched while a test runs (undici's diagnostics channel sees library fetches too). */
const fetched: string[] = [];
const onRequest = (message: unknown): void => {
  const { request } = message as { request: { origin: string; path: string } };
  fetched.push(`${request.origin}${request.path}`);
};
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => diagnostics.subscribe('undici:request:create', onRequest));
afterAll(() => diagnostics.unsubscribe('undici:request:create', onRequest));
beforeEach(() => {
  fetched.length = 0;
});
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const base = loadConfig({ env: 'testing', environ: {} }).config;

function configFor(url: string, model: Partial<ModelSettings> = {}): Pick<AtolyeConfig, 'model'> {
  return { model: { ...base.model, name: 'mock', baseUrl: url, apiKey: 'test-key', ...model } };
}

async function serve(script: ScriptInput, apiKey?: string): Promise<MockLlm> {
  const server = await startMockLlm({ script, port: 0, apiKey });
  cleanups.push(() => server.close());
  return server;
}

/** A tiny model server answering every request with `handler` (or never, without one). */
async function rawServer(handler?: (response: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer((request, response) => {
    request.resume();
    if (handler) request.on('end', () => handler(response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

function replyWith(body: string): (response: http.ServerResponse) => void {
  return (response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  };
}

/** A URL on which nothing listens: a port that was just free. */
async function closedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

const writeFile = {
  type: 'function' as const,
  function: {
    name: 'write_file',
    description: 'Write a file in the workspace',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' }, content: { type: 'string' } },
      required: ['path', 'content'],
    },
  },
};

describe('invokeModel with the real ChatOpenAI over HTTP', () => {
  it('gets a content reply with usage, costed from the price table, fetching only the server', async () => {
    const server = await serve({
      turns: [
        {
          reply: { content: 'Hello there.' },
          usage: { prompt_tokens: 1_000, completion_tokens: 500 },
        },
      ],
    });
    const config = configFor(server.url, { name: 'gpt-4o-mini', temperature: 0.25, maxTokens: 77 });

    const reply = await invokeModel(createChatModel(config), [new HumanMessage('hi')]);

    expect(reply.message.content).toBe('Hello there.');
    expect(reply.usage).toEqual({ inputTokens: 1_000, outputTokens: 500, totalTokens: 1_500 });
    expect(reply.durationMs).toBeGreaterThan(0);
    expect(costOf(reply.usage, 'gpt-4o-mini', base.model.prices)).toEqual({
      usd: (1_000 * 0.15 + 500 * 0.6) / 1e6,
      priced: true,
    });
    expect(server.requests[0]?.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.25,
      max_tokens: 77,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(server.requests[0]?.body).not.toHaveProperty('stream', true);
    const origin = new URL(server.url).origin;
    expect(fetched).toEqual([`${origin}/v1/chat/completions`]);
  });

  it('returns tool calls with the OpenAI function schemas bound', async () => {
    const server = await serve({
      turns: [
        {
          reply: {
            tool_calls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'A' } }],
          },
        },
      ],
    });

    const reply = await invokeModel(createChatModel(configFor(server.url)), ['write a.txt'], {
      tools: [writeFile],
    });

    expect(reply.message.tool_calls).toEqual([
      expect.objectContaining({ name: 'write_file', args: { path: 'a.txt', content: 'A' } }),
    ]);
    const body = server.requests[0]?.body as { tools: Array<{ function: { name: string } }> };
    expect(body.tools.map((tool) => tool.function.name)).toEqual(['write_file']);
    expect(costOf(reply.usage, 'mock', base.model.prices)).toEqual({ usd: 0, priced: true });
    expect(fetched.every((url) => url.startsWith(new URL(server.url).origin))).toBe(true);
  });

  it('refuses to build a model without a key, before any request', async () => {
    const server = await serve({ turns: [{ reply: { content: 'never' } }] });

    expect(() => createChatModel(configFor(server.url, { apiKey: '' }))).toThrow(
      expect.objectContaining({
        code: 'MODEL_KEY_MISSING',
        message: expect.stringContaining('OPENAI_API_KEY'),
      }),
    );
    expect(server.requests).toHaveLength(0);
    expect(fetched).toEqual([]);
  });

  it('reports a wrong key as MODEL_KEY_REJECTED', async () => {
    const server = await serve({ turns: [{ reply: { content: 'secret' } }] }, 'right-key');
    const model = createChatModel(configFor(server.url, { apiKey: 'wrong-key' }));

    const error = await failure(invokeModel(model, ['hi']));

    expect(error).toMatchObject({ code: 'MODEL_KEY_REJECTED', retryable: false });
    expect(error.message).toContain('OPENAI_API_KEY');
  });

  it('reports a server that is not there as MODEL_UNREACHABLE, quickly', async () => {
    const model = createChatModel(configFor(await closedUrl()));
    const started = Date.now();

    const error = await failure(invokeModel(model, ['hi']));

    expect(error).toMatchObject({ code: 'MODEL_UNREACHABLE', retryable: true });
    expect(error.message).toContain('OPENAI_BASE_URL');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives up on a server that never answers after model.timeoutMs', async () => {
    const model = createChatModel(configFor(await rawServer(), { timeoutMs: 300 }));
    const started = Date.now();

    const error = await failure(invokeModel(model, ['hi']));

    expect(error).toMatchObject({ code: 'MODEL_TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it.each([
    ['an unexpected JSON shape', '{"nonsense":true}'],
    ['invalid JSON', '{"choices": [ oops'],
  ])('reports %s as MODEL_BAD_REPLY', async (_label, body) => {
    const model = createChatModel(configFor(await rawServer(replyWith(body))));

    const error = await failure(invokeModel(model, ['hi']));

    expect(error).toMatchObject({ code: 'MODEL_BAD_REPLY' });
  });

  it('returns tool calls whose arguments are not JSON for the step to answer, naming them', async () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 0,
      model: 'mock',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'write_file', arguments: '{"path": "a.txt", ' },
              },
            ],
          },
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    };
    const url = await rawServer(replyWith(JSON.stringify(completion)));

    // LangChain warns about the invalid call on the console; the reply is what matters here.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    const reply = await invokeModel(createChatModel(configFor(url)), ['hi'], {
      tools: [writeFile],
    }).finally(() => warn.mockRestore());

    // A malformed call is the model's to correct (act answers it), not a failed call.
    expect(reply.message.tool_calls).toEqual([]);
    expect(reply.message.invalid_tool_calls).toEqual([
      expect.objectContaining({ id: 'call_1', name: 'write_file', args: '{"path": "a.txt", ' }),
    ]);
    expect(reply.usage).toMatchObject({ inputTokens: 3, outputTokens: 4 });
  });

  it('ends a call when the caller cancels it', async () => {
    const model = createChatModel(configFor(await rawServer(), { timeoutMs: 10_000 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();

    const error = await failure(invokeModel(model, ['hi'], { signal: controller.signal }));

    expect(error).toMatchObject({ code: 'MODEL_CANCELLED' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
