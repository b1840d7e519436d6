import { HumanMessage } from '@langchain/core/messages';
import { startMockLlm, type MockLlm } from '../../../../src/cli/mock-llm/index.js';
import {
  createChatModel,
  invokeModel,
  MODEL_REQUEST_RETRIES,
  type ModelRetryEvent,
} from '../../../../src/agent/model/index.js';
import { runAct } from '../../../../src/agent/steps/index.js';
import { startFaultyModelProxy, type FaultyModelProxy } from '../../../helpers/model-faults.js';
import { modelConfig } from '../steps/helpers.js';

// The real ChatOpenAI, over real HTTP, against a mock model server behind a proxy that answers
// chosen requests with errors as a real server would. Counts are of requests the proxy received.

let mock: MockLlm;
let proxy: FaultyModelProxy;

beforeEach(async () => {
  mock = await startMockLlm({
    port: 0,
    script: { turns: [], fallback: { reply: { content: 'ok' } } },
  });
  proxy = await startFaultyModelProxy(new URL(mock.url));
});

afterEach(async () => {
  await proxy.close();
  await mock.close();
});

async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('expected the call to fail');
  return error as Record<string, unknown>;
}

function call(onRetry?: (event: ModelRetryEvent) => void) {
  return invokeModel(createChatModel(modelConfig(proxy.url)), [new HumanMessage('hi')], {
    onRetry,
  });
}

describe('model requests: one, unless the server says when to retry', () => {
  it('sends a 429 with Retry-After again after the wait the server named, and reports it', async () => {
    proxy.faults.push({ status: 429, headers: { 'retry-after-ms': '30' }, message: 'slow down' });
    const retries: ModelRetryEvent[] = [];

    const reply = await call((event) => retries.push(event));

    expect(reply.message.content).toBe('ok');
    expect(reply.requests).toBe(2);
    expect(proxy.requests.map((request) => request.faulted)).toEqual([true, false]);
    expect(retries).toEqual([
      {
        request: 1,
        maxRequests: MODEL_REQUEST_RETRIES + 1,
        status: 429,
        code: 'MODEL_RATE_LIMITED',
        message: expect.stringContaining('slow down'),
        reason: 'retry-after',
        delayMs: 30,
      },
    ]);
  });

  it('retries an error the server marks x-should-retry: true', async () => {
    proxy.faults.push({ status: 500, headers: { 'x-should-retry': 'true', 'retry-after': '0' } });
    const retries: ModelRetryEvent[] = [];

    await expect(call((event) => retries.push(event))).resolves.toMatchObject({ requests: 2 });
    expect(retries).toMatchObject([{ status: 500, reason: 'x-should-retry', delayMs: 0 }]);
  });

  it('makes one request for a 500 without directions and leaves the retry to the step', async () => {
    proxy.faults.push({ status: 500, message: 'upstream broke' });

    const error = await failure(call());

    expect(error).toMatchObject({ code: 'MODEL_ERROR', retryable: true });
    expect(error.message).toContain('The model server answered 500');
    expect(proxy.requests).toHaveLength(1);
  });

  it('makes one request for a 429 without Retry-After; the step retry policy decides', async () => {
    proxy.faults.push({ status: 429 });

    const error = await failure(call());

    expect(error).toMatchObject({ code: 'MODEL_RATE_LIMITED', retryable: true });
    expect(proxy.requests).toHaveLength(1);
  });

  it('does not retry at all what the server says not to (x-should-retry: false)', async () => {
    proxy.faults.push({ status: 503, headers: { 'x-should-retry': 'false', 'retry-after': '0' } });

    const error = await failure(call());

    expect(error).toMatchObject({ code: 'MODEL_ERROR', retryable: false });
    expect(proxy.requests).toHaveLength(1);
  });

  it('stops after its bounded retries, and the error is not retried again by the step', async () => {
    for (let i = 0; i < 5; i += 1) {
      proxy.faults.push({ status: 503, headers: { 'retry-after-ms': '5' } });
    }
    const retries: ModelRetryEvent[] = [];

    const error = await failure(call((event) => retries.push(event)));

    expect(proxy.requests).toHaveLength(MODEL_REQUEST_RETRIES + 1);
    expect(retries.map((event) => event.request)).toEqual([1, 2]);
    expect(error).toMatchObject({ code: 'MODEL_ERROR', retryable: false });
    expect(error.message).toContain('the server still refused after 3 requests');
    expect(error.message).toContain('so the step is not retried');
  });

  it('does not wait longer than the cap: a long Retry-After fails at once, clearly', async () => {
    proxy.faults.push({ status: 429, headers: { 'retry-after': '120' } });

    const error = await failure(call());

    expect(proxy.requests).toHaveLength(1);
    expect(error).toMatchObject({ code: 'MODEL_RATE_LIMITED', retryable: false });
    expect(error.message).toContain(
      'the server asked to wait 120 s, more than the 30 s a call waits',
    );
  });
});

describe('the act step', () => {
  it('logs each model request it sends again on the log it is given', async () => {
    proxy.faults.push({ status: 429, headers: { 'retry-after': '1' } });
    const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
    const log = {
      warn: (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields }),
    };
    const config = modelConfig(proxy.url);

    const output = await runAct(
      { task: 'Say ok', plan: null, messages: [], feedback: null, iteration: 1 },
      { model: createChatModel(config), config, log },
    );

    expect(output.messages).toHaveLength(1);
    expect(mock.requests).toHaveLength(1);
    expect(proxy.requests).toHaveLength(2);
    expect(lines).toEqual([
      {
        msg: 'model request 1 of 3 failed (429 MODEL_RATE_LIMITED); the server asked for a retry (retry-after), retrying in 1000 ms',
        fields: expect.objectContaining({ request: 1, status: 429, delayMs: 1_000 }),
      },
    ]);
  });
});
