export { buildAgentGraph, runIdsOf, stepIdempotencyKey } from './graph.js';
export type {
  AgentGraph,
  AgentGraphOptions,
  CallStep,
  StepCallOptions,
  StepFailure,
} from './graph.js';
export {
  DEFAULT_STEP_BACKOFF,
  LANGGRAPH_JITTER_MS,
  retryDelayMs,
  stepErrorCode,
  stepRetryPolicy,
  toRunError,
  UNDECLARED_RETRIES,
} from './retry.js';
export type { StepBackoff, StepRetries } from './retry.js';
export { AgentState, FINGERPRINT_HISTORY } from './state.js';
export type { AgentStateUpdate, AgentStateValue, Usage, UsageEntry } from './state.js';
export * from './steps.js';
export { checkStops, DEFAULT_MAX_ITERATIONS, STUCK_REPEATS, toolFingerprint } from './stops.js';
export type { RunLimits, Stop } from './stops.js';
export { type ApprovalGate } from './approval-gate.js';
