export { buildAgentGraph, idempotencyKeyFor, runIdsOf } from './graph.js';
export type { AgentGraph, AgentGraphOptions, CallStep, StepCallOptions } from './graph.js';
export { DEFAULT_STEP_RETRY, isRetryableError, stepRetryPolicy, toRunError } from './retry.js';
export { AgentState, FINGERPRINT_HISTORY } from './state.js';
export type { AgentStateUpdate, AgentStateValue, Usage, UsageEntry } from './state.js';
export * from './steps.js';
export { checkStops, DEFAULT_MAX_ITERATIONS, STUCK_REPEATS, toolFingerprint } from './stops.js';
export type { RunLimits, Stop } from './stops.js';
