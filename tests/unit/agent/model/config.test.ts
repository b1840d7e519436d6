import { loadConfig, SENSITIVE_KEYS } from '../../../../src/config/index.js';
import { runCli } from '../../../helpers/cli.js';
import { tempDir, writeFiles } from '../../../helpers/tmp.js';

describe('the model section of the configuration', () => {
  it('loads with defaults, and without a key even in production', () => {
    const { config } = loadConfig({
      env: 'production',
      environ: {
        ATOLYE_SIGNING_SECRET: 'a4f1c9e0b7d24c6e8f3a5b1d9e7c2f40',
        ATOLYE_ADMIN_TOKEN: 'c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8',
      },
    });

    expect(config.model).toMatchObject({
      name: 'gpt-4o-mini',
      baseUrl: '',
      apiKey: '',
      timeoutMs: 120_000,
      maxTokens: 4096,
      contextTokens: 128_000,
      condenseAt: 0.7,
      temperature: 0,
    });
    expect(config.model.prices).toEqual(
      expect.arrayContaining([
        { model: 'gpt-4o-mini', inputPerMTok: 0.15, outputPerMTok: 0.6 },
        { model: 'gpt-4.1', inputPerMTok: 2, outputPerMTok: 8 },
        { model: 'mock', inputPerMTok: 0, outputPerMTok: 0 },
      ]),
    );
    expect(SENSITIVE_KEYS).toContain('model.apiKey');
  });

  it('takes ATOLYE_MODEL, OPENAI_BASE_URL and OPENAI_API_KEY from the environment', () => {
    const loaded = loadConfig({
      env: 'testing',
      environ: {
        ATOLYE_MODEL: 'llama3.1',
        OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
        OPENAI_API_KEY: 'sk-from-env',
        ATOLYE_MODEL_TIMEOUT_MS: '300',
      },
    });

    expect(loaded.config.model).toMatchObject({
      name: 'llama3.1',
      baseUrl: 'http://127.0.0.1:11434/v1',
      apiKey: 'sk-from-env',
      timeoutMs: 300,
    });
    expect(loaded.sourceOf('model.apiKey')).toBe('environment variable OPENAI_API_KEY');
  });

  it('replaces the price table from a file, dotted model names included', () => {
    const { dir, cleanup } = tempDir();
    try {
      const prices = [{ model: 'qwen2.5-coder', inputPerMTok: 0.5, outputPerMTok: 1.5 }];
      writeFiles(dir, { 'base.json': { model: { prices } } });

      const { config } = loadConfig({ configDir: dir, env: 'testing', environ: {} });

      expect(config.model.prices).toEqual(prices);
    } finally {
      cleanup();
    }
  });

  it.each([
    [{ 'gpt-4o': { inputPerMTok: 1, outputPerMTok: 2 } }, /model\.prices/],
    [[{ model: 'a', inputPerMTok: -1, outputPerMTok: 2 }], /entry 0 must be/],
    [[{ model: 'a', inputPerMTok: 1, outputPerMTok: 2, extra: 1 }], /entry 0 must be/],
    [
      [
        { model: 'a', inputPerMTok: 1, outputPerMTok: 2 },
        { model: 'a', inputPerMTok: 3, outputPerMTok: 4 },
      ],
      /entry 1 prices "a" a second time/,
    ],
  ])('rejects a malformed price table %j', (prices, problem) => {
    expect(() =>
      loadConfig({
        env: 'testing',
        environ: {},
        overrides: { 'model.prices': JSON.stringify(prices) },
      }),
    ).toThrow(problem);
  });

  it('rejects an empty model name and a temperature out of range', () => {
    expect(() =>
      loadConfig({
        env: 'testing',
        environ: { ATOLYE_MODEL: ' ' },
        overrides: { 'model.temperature': '3' },
      }),
    ).toThrow(
      /model\.name: must be a non-empty string[\s\S]*model\.temperature: must be a number from 0 to 2/,
    );
  });

  it('takes the context settings from the environment and rejects a share outside (0, 1)', () => {
    const { config } = loadConfig({
      env: 'testing',
      environ: { ATOLYE_MODEL_CONTEXT_TOKENS: '8000', ATOLYE_MODEL_CONDENSE_AT: '0.5' },
    });
    expect(config.model).toMatchObject({ contextTokens: 8000, condenseAt: 0.5 });
    expect(() =>
      loadConfig({ env: 'testing', environ: { ATOLYE_MODEL_CONDENSE_AT: '1' } }),
    ).toThrow(/model\.condenseAt: must be a number above 0 and below 1/);
    expect(() =>
      loadConfig({ env: 'testing', environ: { ATOLYE_MODEL_CONTEXT_TOKENS: '0' } }),
    ).toThrow(/model\.contextTokens: must be a positive whole number/);
  });

  describe('atolye config show', () => {
    it('masks the model API key', async () => {
      const result = await runCli(['config', 'show'], {
        env: { OPENAI_API_KEY: 'sk-very-secret-model-key-42', ATOLYE_MODEL: 'gpt-4.1' },
      });

      expect(result.code).toBe(0);
      const shown = JSON.parse(result.stdout) as { model: { apiKey: string; name: string } };
      expect(shown.model).toMatchObject({ apiKey: '********', name: 'gpt-4.1' });
      expect(result.stdout).not.toContain('sk-very-secret-model-key-42');
    });
  });
});
