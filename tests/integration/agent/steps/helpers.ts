import { startMockLlm, type MockLlm } from '../../../../src/cli/mock-llm/index.js';
import type { ScriptInput } from '../../../../src/cli/mock-llm/script.js';
import { createChatModel } from '../../../../src/agent/model/index.js';
import type { ModelStepDeps } from '../../../../src/agent/steps/index.js';
import { loadConfig, type AtolyeConfig } from '../../../../src/config/index.js';

export const baseConfig = loadConfig({ env: 'testing', environ: {} }).config;

/** Priced at 1 USD per token both ways, so a step's cost equals its token count. */
export function modelConfig(url: string): Pick<AtolyeConfig, 'model'> {
  return {
    model: {
      ...baseConfig.model,
      name: 'mock',
      baseUrl: url,
      apiKey: 'test-key',
      prices: [{ model: 'mock', inputPerMTok: 1e6, outputPerMTok: 1e6 }],
    },
  };
}

/** The real ChatOpenAI against a mock model server on an ephemeral port. */
export async function mockModel(
  script: ScriptInput,
): Promise<{ server: MockLlm; deps: ModelStepDeps }> {
  const server = await startMockLlm({ script, port: 0 });
  const config = modelConfig(server.url);
  return { server, deps: { model: createChatModel(config), config } };
}

export function sandboxConfig(mode: 'none' | 'bwrap'): Pick<AtolyeConfig, 'env' | 'sandbox'> {
  return { env: 'testing', sandbox: { ...baseConfig.sandbox, mode, timeoutMs: 20_000 } };
}
