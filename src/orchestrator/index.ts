export {
  createExecutor,
  type Executor,
  type ExecutorLimits,
  type ExecutorOptions,
} from './executor.js';
export { RunsStore, type RunOutcome, type RunRecord, type ThreadRecord } from './runs-store.js';
export { FINISHED_STATUSES, mapAgentStatus, RUN_STATUSES, type RunStatus } from './status.js';
export { stepClient, type StepCallRecord, type StepClientOptions } from './step-client.js';
