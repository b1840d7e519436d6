import type { AIMessageChunk } from '@langchain/core/messages';
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import diagnostics from 'node:diagnostics_channel';
import { ChatOpenAI } from '@langchain/openai';
import * as z from 'zod';
import { startMockLlm, type MockLlm } from '../../../src/cli/mock-llm/index.js';
import type { ScriptInput } from '../../../src/cli/mock-llm/script.js';

/**
 * Every URL fetched while a test runs, seen through undici's diagnostics channel — process-wide,
 * so it also sees fetches made by library code that a patched `globalThis.fetch` would miss.
 */
const fetched: string[] = [];
const servers: MockLlm[] = [];
const onRequest = (message: unknown): void => {
  const { request } = message as { request: { origin: string; path: string } };
  fetched.push(`${request.origin}${request.path}`);
};

beforeAll(() => diagnostics.subscribe('undici:request:create', onRequest));
afterAll(() => diagnostics.unsubscribe('undici:request:create', onRequest));

beforeEach(() => {
  fetched.length = 0;
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(script: ScriptInput, apiKey?: string): Promise<MockLlm> {
  const server = await startMockLlm({ script, port: 0, apiKey });
  servers.push(server);
  return server;
}

function model(server: MockLlm, fields: { apiKey?: string; streaming?: boolean } = {}): ChatOpenAI {
  return new ChatOpenAI({
    model: 'mock',
    apiKey: fields.apiKey ?? 'test-key',
    configuration: { baseURL: server.url },
    maxRetries: 0,
    streaming: fields.streaming,
  });
}

/** What was fetched from anywhere but the mock server; the watch must have seen the server too. */
function offServer(server: MockLlm): string[] {
  const origin = new URL(server.url).origin;
  expect(fetched.some((url) => url.startsWith(`${origin}/v1/chat/completions`))).toBe(true);
  return fetched.filter((url) => !url.startsWith(origin));
}

const writeFile = {
  name: 'write_file',
  description: 'Write a file in the workspace',
  schema: z.object({ path: z.string(), content: z.string() }),
};

describe('the real ChatOpenAI against mock-llm', () => {
  it('gets a plain reply with usage_metadata from the scripted usage', async () => {
    const server = await serve({
      turns: [
        { reply: { content: 'Hello there.' }, usage: { prompt_tokens: 7, completion_tokens: 3 } },
      ],
    });

    const reply = await model(server).invoke([new HumanMessage('hi')]);

    expect(reply.content).toBe('Hello there.');
    expect(reply.usage_metadata).toMatchObject({
      input_tokens: 7,
      output_tokens: 3,
      total_tokens: 10,
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      body: { model: 'mock', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(offServer(server)).toEqual([]);
  });

  it('estimates usage as characters / 4 when the script gives none', async () => {
    const server = await serve({ turns: [{ reply: { content: '12345678' } }] });

    const reply = await model(server).invoke('abcdefghi');

    expect(reply.usage_metadata).toMatchObject({
      input_tokens: 3,
      output_tokens: 2,
      total_tokens: 5,
    });
  });

  it('returns parsed tool calls to a model with tools bound', async () => {
    const server = await serve({
      turns: [
        {
          reply: {
            tool_calls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'A' } }],
          },
        },
      ],
    });

    const reply = await model(server).bindTools([writeFile]).invoke('write a.txt');

    expect(reply.tool_calls).toEqual([
      expect.objectContaining({ name: 'write_file', args: { path: 'a.txt', content: 'A' } }),
    ]);
    expect(reply.tool_calls?.[0]?.id).toMatch(/^call_mock_/);
    expect(reply.response_metadata.finish_reason).toBe('tool_calls');
    const body = server.requests[0]?.body as { tools: Array<{ function: { name: string } }> };
    expect(body.tools[0]?.function.name).toBe('write_file');
  });

  it('streams content and tool calls in chunks, with usage and no tokenizer download', async () => {
    const server = await serve({
      turns: [
        {
          reply: {
            content: 'Writing the greeting file now.',
            tool_calls: [{ name: 'write_file', arguments: { path: 'hello.txt', content: 'hi' } }],
          },
          usage: { prompt_tokens: 20, completion_tokens: 11 },
        },
      ],
    });

    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await model(server).bindTools([writeFile]).stream('greet')) {
      chunks.push(chunk);
    }
    const whole = chunks.reduce((sum, chunk) => sum.concat(chunk));

    expect(chunks.filter((chunk) => chunk.content !== '').length).toBeGreaterThan(1);
    expect(whole.content).toBe('Writing the greeting file now.');
    expect(whole.tool_calls).toEqual([
      expect.objectContaining({ name: 'write_file', args: { path: 'hello.txt', content: 'hi' } }),
    ]);
    expect(whole.usage_metadata).toMatchObject({
      input_tokens: 20,
      output_tokens: 11,
      total_tokens: 31,
    });
    expect(server.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(offServer(server)).toEqual([]);
  });

  it('streams events (how LangGraph streams messages) with usage and no tokenizer', async () => {
    const server = await serve({ turns: [{ reply: { content: 'token by token' } }] });
    const tokens: string[] = [];
    let usage: unknown;

    for await (const event of model(server).streamEvents('go', { version: 'v2' })) {
      if (event.event === 'on_chat_model_stream') tokens.push(String(event.data.chunk.content));
      if (event.event === 'on_chat_model_end') usage = event.data.output.usage_metadata;
    }

    expect(tokens.join('')).toBe('token by token');
    expect(tokens.filter((token) => token !== '').length).toBeGreaterThan(1);
    expect(usage).toMatchObject({ input_tokens: 1, output_tokens: 4 });
    expect(server.requests[0]?.body).toMatchObject({ stream: true });
    expect(offServer(server)).toEqual([]);
  });

  it('plays a scripted conversation with matches, then the fallback', async () => {
    const server = await serve({
      turns: [
        {
          match: { role: 'user', contains: 'hello' },
          reply: { tool_calls: [{ name: 'write_file', arguments: { path: 'h', content: 'x' } }] },
        },
        { match: { role: 'tool', contains: 'written' }, reply: { content: 'Done.' } },
      ],
      fallback: { reply: { content: 'No more.' } },
    });
    const llm = model(server).bindTools([writeFile]);

    const first = await llm.invoke([new HumanMessage('say hello')]);
    const callId = first.tool_calls?.[0]?.id ?? '';
    const second = await llm.invoke([
      new HumanMessage('say hello'),
      new AIMessage({ content: '', tool_calls: first.tool_calls }),
      new ToolMessage({ content: 'file written', tool_call_id: callId }),
    ]);
    const third = await llm.invoke('anything');

    expect(second.content).toBe('Done.');
    expect(third.content).toBe('No more.');
    expect(server.requests).toHaveLength(3);
  });

  it('surfaces a script mismatch as an error naming expected and received text', async () => {
    const server = await serve({
      turns: [{ match: { contains: 'hello' }, reply: { content: 'Hi' } }],
    });

    await expect(model(server).invoke('goodbye')).rejects.toThrow(
      /turn 0 does not match: expected the last message to contain "hello", received "goodbye"/,
    );
  });

  it('surfaces running out of turns as an error', async () => {
    const server = await serve({ turns: [{ reply: { content: 'only one' } }] });
    const llm = model(server);

    await llm.invoke('one');

    await expect(llm.invoke('two')).rejects.toThrow(/no turn left: all 1 turns were served/);
  });

  it('surfaces a wrong API key as a 401', async () => {
    const server = await serve({ turns: [{ reply: { content: 'secret' } }] }, 'right-key');

    await expect(model(server, { apiKey: 'wrong-key' }).invoke('hi')).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('Incorrect API key'),
    });
    await expect(model(server, { apiKey: 'right-key' }).invoke('hi')).resolves.toMatchObject({
      content: 'secret',
    });
  });
});
