export { createChatModel, type ModelSettings } from './factory.js';
export { invokeModel, type InvokeOptions, type ModelReply, type ModelTools } from './invoke.js';
export { classifyModelError } from './errors.js';
export {
  MODEL_REQUEST_RETRIES,
  MODEL_RETRY_WAIT_CAP_MS,
  retryDirection,
  type ModelRetryEvent,
} from './retry.js';
export { MAX_TOOL_ARGS_DEPTH, toolCallsOf, type ModelToolCall } from './tool-calls.js';
export { MODEL_ENV_VARIABLES } from './env.js';
export { costOf, usageOf, type Cost, type TokenUsage } from './usage.js';
export type { ModelPrice, PriceTable } from '../../config/schema.js';
