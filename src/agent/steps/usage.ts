import type { AtolyeConfig } from '../../config/schema.js';
import type { StepUsage } from '../graph/steps.js';
import { costOf, type TokenUsage } from '../model/index.js';

/** One model call's tokens as a step reports them, priced from the configured table. */
export function stepUsage(usage: TokenUsage, config: Pick<AtolyeConfig, 'model'>): StepUsage {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costUsd: costOf(usage, config.model.name, config.model.prices).usd,
  };
}

/** The sum of several calls of one step (a retried plan, for one). */
export function addUsage(a: StepUsage, b: StepUsage): StepUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
  };
}
