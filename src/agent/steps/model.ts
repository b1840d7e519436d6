import type { ChatOpenAI } from '@langchain/openai';
import type { AtolyeConfig } from '../../config/schema.js';
import { createChatModel } from '../model/index.js';

type ModelConfig = Pick<AtolyeConfig, 'model'>;

/** How many models a worker keeps for runs that ask for their own (assistant variants). */
const KEPT_MODELS = 4;

export interface ModelChoice {
  /** The configuration with the chosen model's name (prices and limits stay the configured ones). */
  config: ModelConfig;
  /** The chat model, made on first use. */
  model(): ChatOpenAI;
}

/**
 * The worker's chat models, by name: the configured one unless a run asks for another. Each is
 * made on first use, so a missing key fails the invocation with MODEL_KEY_MISSING instead of the
 * worker's start; a few are kept, oldest dropped first.
 */
export function modelChooser(base: ModelConfig): (name?: string) => ModelChoice {
  const kept = new Map<string, ModelChoice>();
  return (name = base.model.name) => {
    const found = kept.get(name);
    if (found) return found;
    const config = name === base.model.name ? base : { model: { ...base.model, name } };
    let model: ChatOpenAI | undefined;
    const choice = { config, model: () => (model ??= createChatModel(config)) };
    if (kept.size >= KEPT_MODELS) kept.delete(kept.keys().next().value as string);
    kept.set(name, choice);
    return choice;
  };
}
