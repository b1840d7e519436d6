import { ChatOpenAI } from '@langchain/openai';
import { AtolyeError } from '../../errors.js';
import type { AtolyeConfig } from '../../config/schema.js';

export type ModelSettings = AtolyeConfig['model'];

/**
 * ChatOpenAI's own retries (LangChain's AsyncCaller: up to `maxRetries` blind, backed-off repeats)
 * are off: a call makes one request, and another only when the server asks (invoke.ts, retry.ts).
 * The step retry policy is the one blind retry layer above it.
 */
const MAX_RETRIES = 0;

/**
 * The chat model of every model-calling step: any OpenAI-compatible server, by `model.baseUrl`.
 * `streaming` stays unset: with `streaming: true` ChatOpenAI counts tokens itself and fetches
 * tiktoken from a CDN on every call (docs/mock-llm.md); `.stream()` still streams.
 */
export function createChatModel(
  config: Pick<AtolyeConfig, 'model'>,
  overrides: Partial<Omit<ModelSettings, 'prices'>> = {},
): ChatOpenAI {
  const settings = { ...config.model, ...overrides };
  if (settings.apiKey === '') {
    throw new AtolyeError(
      'MODEL_KEY_MISSING',
      'No model API key: set OPENAI_API_KEY (model.apiKey) for the model server' +
        (settings.baseUrl ? ` at ${settings.baseUrl}` : '') +
        '; servers that ignore keys (Ollama, llama.cpp) accept any non-empty value.',
    );
  }
  return new ChatOpenAI({
    model: settings.name,
    apiKey: settings.apiKey,
    ...(settings.baseUrl ? { configuration: { baseURL: settings.baseUrl } } : {}),
    timeout: settings.timeoutMs,
    maxRetries: MAX_RETRIES,
    temperature: settings.temperature,
    maxTokens: settings.maxTokens,
    streamUsage: true,
  });
}
