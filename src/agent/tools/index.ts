export { executeToolCall, describeBadArguments } from './execute.js';
export type { ExecuteContext, ToolCall, ToolCallResult } from './execute.js';
export { toLangChainTools } from './langchain.js';
export { TOOL_NAMES, TOOL_SPECS } from './specs.js';
export { capText } from './truncate.js';
export { DEFAULT_TOOL_LIMITS, defineTool } from './types.js';
export type {
  CommandResult,
  Observation,
  RunCommand,
  ToolContext,
  ToolLimits,
  ToolSpec,
} from './types.js';
export { resolveInside, resolveLexically } from './workspace.js';
export type { PathRefusalCode, PathResolution } from './workspace.js';
