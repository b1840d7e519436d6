import type {
  AgentGraphOptions,
  AgentStateValue,
  RunLimits,
  StepRetries,
} from '../agent/graph/index.js';
import type { AtolyeConfig } from '../config/index.js';
import type { Logging } from '../logging/index.js';
import type { RunEventSink } from './run-events.js';
import type { RunInterrupt, RunOptions, RunRecord, RunsStore } from './runs-store.js';
import type { StepCallRecord } from './step-client.js';

/** The run executor's options and interface (its implementation is executor.ts). */

export interface ExecutorLimits extends Partial<RunLimits> {
  /** Deadline of one attempt of one step; generous, a step may run a model and commands. */
  stepTimeoutMs?: number;
  /** Wall-clock limit of one run; past it the run ends with status `timeout`. */
  runTimeoutMs?: number;
}

export interface ExecutorOptions {
  config: AtolyeConfig;
  /** Where the worker host serves `POST /fn/<step>`. */
  hostUrl: string;
  signingSecret: string;
  /** Holds `orchestrator.sqlite` (threads and runs) and `checkpoints.sqlite` (LangGraph). */
  dataDir: string;
  limits?: ExecutorLimits;
  /** The backoff between attempts of a step, e.g. short intervals in tests. */
  retry?: AgentGraphOptions['retry'];
  /**
   * Each step function's declared `limits.retries`. Read from the build manifest in `distDir`
   * when absent; a step the manifest does not list is not retried.
   */
  stepRetries?: StepRetries;
  /** The build holding `manifest.json` (`npm run build`); `dist` under the project root by default. */
  distDir?: string;
  /** Where `agent` lines go; the process's default logging otherwise. */
  logging?: Logging;
  /** The runs store to use (the run API shares it); `<dataDir>/orchestrator.sqlite` otherwise. */
  store?: RunsStore;
  /** Receives every run's stream: `metadata`, `values`, `updates`, then `end` or `error`. */
  events?: RunEventSink;
  /** Called once with the final record of every run that ends (for webhooks and metrics). */
  onRunEnd?: (run: RunRecord) => void;
  /** Called with every finished step call of a run (for metrics), beside its `agent` line. */
  onStep?: (record: StepCallRecord, runId?: string) => void;
  /**
   * Snapshots of the workspace when a run starts and ends, so its own changes can be shown; a
   * failing snapshot is logged and never fails the run.
   */
  snapshots?: RunSnapshots;
}

export interface RunSnapshots {
  runStarted(threadId: string, runId: string): Promise<void>;
  runEnded(threadId: string, runId: string): Promise<void>;
  /** Records the workspace after a step; the commit goes into the step's checkpoint. */
  record(threadId: string): Promise<string>;
  /** Brings the workspace back to what a checkpoint recorded, before a fork runs from it. */
  restore(threadId: string, commit: string | null): Promise<void>;
  /** The workspace as a run found it (its start snapshot); undefined for a run that never started. */
  runStart(threadId: string, runId: string): Promise<string | undefined>;
}

/** A thread's latest checkpoint, as `GET /threads/{id}/state` shows it. */
export interface ThreadState {
  values: Partial<AgentStateValue>;
  next: string[];
  checkpointId: string | null;
  parentCheckpointId: string | null;
  createdAt: string | null;
  metadata: Record<string, unknown>;
  /** The steps that would run next, with what each waits for (a pause for approval). */
  tasks: ThreadTask[];
}

export interface ThreadTask {
  id: string;
  name: string;
  interrupts: RunInterrupt[];
}

export interface Executor {
  /**
   * Queues a run of `task` on `threadId` and returns its id at once; runs of one thread go one
   * after another. With `multitaskStrategy: 'reject'` a busy thread refuses it (THREAD_BUSY).
   */
  startRun(threadId: string, task: string, options?: RunOptions): Promise<string>;
  /** The thread's latest checkpoint; undefined for a thread without one. */
  threadState(threadId: string): Promise<ThreadState | undefined>;
  /** The run once it has ended (or, after close(), as it was left). */
  waitFor(runId: string): Promise<RunRecord>;
  /** A pending run ends `interrupted` at once; a running one before its next `act`. */
  cancel(runId: string): Promise<boolean>;
  /** Resumes every run left `running` from its checkpoint and queues every `pending` one. */
  resumeUnfinished(): Promise<number>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Stops without finishing runs: they stay `running`, for resumeUnfinished() to take up. */
  close(): Promise<void>;
  /** Deletes the thread's checkpoints (its state and history); the caller checks it is idle. */
  deleteThread(threadId: string): Promise<void>;
  /** Gives the new thread `to` the checkpoints of the idle thread `from`: its state and history. */
  copyThread(from: string, to: string): Promise<void>;
  /** The thread's checkpoints: history, one by id, and state updates. */
  readonly timeline: ThreadTimeline;
}

/** A thread's checkpoints, as the timeline reads them (thread-timeline.ts implements it). */
export interface HistoryQuery {
  limit: number;
  /** Only checkpoints older than this one. */
  before?: string;
  /** Checkpoints whose metadata has these values (LangGraph's filter, exact per key). */
  metadata?: Record<string, unknown>;
}

export interface ThreadTimeline {
  history(threadId: string, query: HistoryQuery): Promise<ThreadState[]>;
  /** The checkpoint; CHECKPOINT_NOT_FOUND when the thread has none of that id. */
  stateAt(threadId: string, checkpointId: string): Promise<ThreadState>;
  /** Writes `values` as a new checkpoint (from `checkpointId`, or the latest); its id. */
  update(
    threadId: string,
    values: Record<string, unknown>,
    options: { asNode?: string; checkpointId?: string },
  ): Promise<string>;
}
