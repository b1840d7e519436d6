export { createChatModel, type ModelSettings } from './factory.js';
export { invokeModel, type InvokeOptions, type ModelReply, type ModelTools } from './invoke.js';
export { classifyModelError } from './errors.js';
export { MAX_TOOL_ARGS_DEPTH, toolCallsOf, type ModelToolCall } from './tool-calls.js';
export { MODEL_ENV_VARIABLES } from './env.js';
export { costOf, usageOf, type Cost, type TokenUsage } from './usage.js';
export type { ModelPrice, PriceTable } from '../../config/schema.js';
