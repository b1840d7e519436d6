import { loadConfig } from '../../../../src/config/index.js';
import { createChatModel, MODEL_ENV_VARIABLES } from '../../../../src/agent/model/index.js';

const { config } = loadConfig({ env: 'testing', environ: { OPENAI_API_KEY: 'sk-test' } });

describe('createChatModel', () => {
  it('builds a ChatOpenAI from the model settings, never streaming', () => {
    const model = createChatModel(config);

    expect(model).toMatchObject({
      model: 'gpt-4o-mini',
      timeout: 120_000,
      maxTokens: 4096,
      temperature: 0,
      streaming: false,
      streamUsage: true,
    });
    // No blind retries in the client: one request per call (invoke.ts retries only at the
    // server's request), and the step retry policy is the one retry layer.
    expect((model.caller as unknown as { maxRetries: number }).maxRetries).toBe(0);
  });

  it('applies overrides and the base URL', () => {
    const model = createChatModel(config, {
      name: 'mock',
      baseUrl: 'http://127.0.0.1:9/v1',
      timeoutMs: 300,
    });

    expect(model).toMatchObject({ model: 'mock', timeout: 300 });
    expect(model.clientConfig.baseURL).toBe('http://127.0.0.1:9/v1');
  });

  it('fails with MODEL_KEY_MISSING naming OPENAI_API_KEY when there is no key', () => {
    expect(() => createChatModel(config, { apiKey: '' })).toThrow(
      expect.objectContaining({
        code: 'MODEL_KEY_MISSING',
        message: expect.stringContaining('OPENAI_API_KEY'),
      }),
    );
  });
});

describe('MODEL_ENV_VARIABLES', () => {
  it('lists the variables a model-calling function declares as its secrets', () => {
    expect([...MODEL_ENV_VARIABLES].sort()).toEqual([
      'ATOLYE_MODEL',
      'ATOLYE_MODEL_CONDENSE_AT',
      'ATOLYE_MODEL_CONTEXT_TOKENS',
      'ATOLYE_MODEL_TIMEOUT_MS',
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
    ]);
  });
});
