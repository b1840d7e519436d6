import type { ChatOpenAI } from '@langchain/openai';
import type { AtolyeConfig } from '../../config/schema.js';
import { createChatModel } from '../model/index.js';

/**
 * The worker's chat model, made on first use: a missing key then fails the invocation with
 * MODEL_KEY_MISSING instead of the worker's start.
 */
export function modelOnce(config: Pick<AtolyeConfig, 'model'>): () => ChatOpenAI {
  let model: ChatOpenAI | undefined;
  return () => (model ??= createChatModel(config));
}
