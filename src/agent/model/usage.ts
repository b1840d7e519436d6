import type { AIMessage } from '@langchain/core/messages';
import type { PriceTable } from '../../config/schema.js';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface Cost {
  usd: number;
  /** False when the price table does not list the model, so `usd` is 0 by default, not free. */
  priced: boolean;
}

/** Token counts the server reported for one reply; zeros when it reported none. */
export function usageOf(message: Pick<AIMessage, 'usage_metadata'>): TokenUsage {
  const usage = message.usage_metadata;
  const inputTokens = count(usage?.input_tokens);
  const outputTokens = count(usage?.output_tokens);
  const total = count(usage?.total_tokens);
  return { inputTokens, outputTokens, totalTokens: total > 0 ? total : inputTokens + outputTokens };
}

/** Cost in USD of `usage` on `modelName`, from the price table (USD per million tokens). */
export function costOf(usage: TokenUsage, modelName: string, prices: PriceTable): Cost {
  const price = prices.find((entry) => entry.model === modelName);
  if (!price) return { usd: 0, priced: false };
  const usd =
    (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) / 1e6;
  return { usd, priced: true };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
