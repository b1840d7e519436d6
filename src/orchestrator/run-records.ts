import type { StepUsage } from '../agent/graph/index.js';
import type { ApprovalPolicy } from '../config/approval.js';
import type { Migrations } from '../store/database.js';
import type { RunStatus } from './status.js';
import type { ThreadStatus } from './thread-status.js';

/**
 * Threads and runs as records, and as the runs store's SQL: its migrations, and its rows turned
 * into records.
 */

export type Metadata = Record<string, unknown>;

export interface ThreadRecord {
  threadId: string;
  metadata: Metadata;
  /**
   * Who the thread belongs to (`key:NAME` or `team:NAME`, see api/access.ts); null for threads
   * from before ownership existed, which only admin keys see.
   */
  owner: string | null;
  /** From its runs (thread-status.ts). */
  status: ThreadStatus;
  createdAt: string;
  updatedAt: string;
}

/**
 * Which threads a reader may see: every one (an admin key), or those of the listed owners. Every
 * read that takes a scope filters in its SQL, so a thread out of scope is never loaded.
 */
export type ThreadScope = { readonly all: true } | { readonly owners: readonly string[] };

export const MULTITASK_STRATEGIES = ['reject', 'enqueue', 'interrupt', 'rollback'] as const;
/**
 * What a run does on a busy thread: refused, queued, or replacing the active runs (they stop; with
 * "rollback" they are deleted and the thread goes back to where they started).
 */
export type MultitaskStrategy = (typeof MULTITASK_STRATEGIES)[number];

export interface RunOptions {
  metadata?: Metadata;
  multitaskStrategy?: MultitaskStrategy;
  /** Called with the run record when the run ends. */
  webhook?: string | null;
  control?: RunControl;
}

/** How one run drives the graph, beyond its task. Kept with the run, so a resumed run drives alike. */
export interface RunControl {
  /** The run's approval policy; the configured `agent.approval` when absent. */
  approval?: ApprovalPolicy;
  interruptBefore?: string[];
  interruptAfter?: string[];
  /** `command.resume` of LangGraph: the answer to the interrupt the thread is paused at. */
  resume?: unknown;
  /** Continue the paused thread (input null) instead of starting the task anew. */
  continue?: boolean;
  /** Start from this earlier checkpoint of the thread (a fork), its files included. */
  checkpointId?: string;
  /** The chat model the model steps ask for, instead of `model.name`. */
  model?: string;
  /** The run's own limits, instead of the configured ones (0 = none, as in the config). */
  limits?: { maxIterations?: number; maxTokens?: number; maxCostUsd?: number };
  /** The assistant variant the run was started with; the built-in one when absent. */
  assistantId?: string;
  /**
   * multitask_strategy "rollback": the runs this one replaces. Once they have stopped, they are
   * deleted and the thread goes back to where the first of them started (`checkpointId`, or no
   * state at all when the thread had none), its files too.
   */
  rollback?: string[];
}

/** What a run that paused waits for: the interrupts of the paused tasks, as the API shows them. */
export interface RunInterrupt {
  value: unknown;
  id?: string;
}

export interface RunRecord {
  runId: string;
  threadId: string;
  task: string;
  status: RunStatus;
  metadata: Metadata;
  multitaskStrategy: MultitaskStrategy;
  webhook: string | null;
  /** The agent's terminal status behind an `error` or `interrupted` (e.g. `stuck`, `cancelled`). */
  stopReason: string | null;
  error: { code: string; message: string } | null;
  summary: string | null;
  usage: StepUsage;
  /** Set by cancel(); a running run stops before its next `act`. */
  cancelRequested: boolean;
  /** Usage entries the thread's state held when this run started: its own usage follows them. */
  usageOffset: number;
  /** The thread's latest checkpoint when the run started: a later one was written by this run. */
  startCheckpoint: string | null;
  control: RunControl;
  /** What a run that ended `interrupted` at a pause waits for; null otherwise. */
  interrupts: RunInterrupt[] | null;
  createdAt: string;
  updatedAt: string;
}

export interface RunOutcome {
  status: RunStatus;
  interrupts?: RunInterrupt[] | null;
  stopReason?: string | null;
  error?: { code: string; message: string } | null;
  summary?: string | null;
  usage?: StepUsage;
}

const SQLITE = [
  `CREATE TABLE threads (
     thread_id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE runs (
     run_id TEXT PRIMARY KEY,
     thread_id TEXT NOT NULL REFERENCES threads (thread_id),
     seq INTEGER NOT NULL,
     task TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN
       ('pending', 'running', 'success', 'error', 'timeout', 'interrupted')),
     stop_reason TEXT,
     error_code TEXT,
     error_message TEXT,
     summary TEXT,
     input_tokens INTEGER NOT NULL DEFAULT 0,
     output_tokens INTEGER NOT NULL DEFAULT 0,
     cost_usd REAL NOT NULL DEFAULT 0,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     usage_offset INTEGER NOT NULL DEFAULT 0,
     start_checkpoint TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX runs_thread ON runs (thread_id, seq);
   CREATE INDEX runs_status ON runs (status);`,
  `ALTER TABLE threads ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
   ALTER TABLE runs ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
   ALTER TABLE runs ADD COLUMN multitask_strategy TEXT NOT NULL DEFAULT 'reject';
   ALTER TABLE runs ADD COLUMN webhook TEXT;
   CREATE TABLE run_events (
     run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     event TEXT NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   ) WITHOUT ROWID;`,
  // Threads from before ownership keep a NULL owner: no key but an admin key sees them.
  `ALTER TABLE threads ADD COLUMN owner TEXT;
   CREATE INDEX threads_owner ON threads (owner, updated_at);`,
  // How a run drives the graph (approval policy, static interrupts, a resume command, a fork's
  // checkpoint), and what a run that paused waits for.
  `ALTER TABLE runs ADD COLUMN control TEXT NOT NULL DEFAULT '{}';
   ALTER TABLE runs ADD COLUMN interrupts TEXT;`,
  // Assistant variants (assistants-store.ts); the table was made on first use before this step.
  `CREATE TABLE IF NOT EXISTS assistants (
     assistant_id TEXT PRIMARY KEY,
     graph_id TEXT NOT NULL,
     name TEXT NOT NULL,
     description TEXT,
     configurable TEXT NOT NULL DEFAULT '{}',
     metadata TEXT NOT NULL DEFAULT '{}',
     owner TEXT,
     version INTEGER NOT NULL DEFAULT 1,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS assistants_owner ON assistants (owner, created_at);`,
  // Which orchestrator executes the run, until when (ms since the epoch, the database's clock).
  `ALTER TABLE runs ADD COLUMN lease_owner TEXT;
   ALTER TABLE runs ADD COLUMN lease_until INTEGER;`,
];

/** Postgres starts at the shape the SQLite steps reach. */
const POSTGRES = [
  `CREATE TABLE threads (
     thread_id TEXT PRIMARY KEY,
     metadata TEXT NOT NULL DEFAULT '{}',
     owner TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX threads_owner ON threads (owner, updated_at);
   CREATE TABLE runs (
     run_id TEXT PRIMARY KEY,
     thread_id TEXT NOT NULL REFERENCES threads (thread_id),
     seq INTEGER NOT NULL,
     task TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN
       ('pending', 'running', 'success', 'error', 'timeout', 'interrupted')),
     stop_reason TEXT,
     error_code TEXT,
     error_message TEXT,
     summary TEXT,
     input_tokens INTEGER NOT NULL DEFAULT 0,
     output_tokens INTEGER NOT NULL DEFAULT 0,
     cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     usage_offset INTEGER NOT NULL DEFAULT 0,
     start_checkpoint TEXT,
     metadata TEXT NOT NULL DEFAULT '{}',
     multitask_strategy TEXT NOT NULL DEFAULT 'reject',
     webhook TEXT,
     control TEXT NOT NULL DEFAULT '{}',
     interrupts TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX runs_thread ON runs (thread_id, seq);
   CREATE INDEX runs_status ON runs (status);
   CREATE TABLE run_events (
     run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     event TEXT NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   );
   CREATE TABLE assistants (
     assistant_id TEXT PRIMARY KEY,
     graph_id TEXT NOT NULL,
     name TEXT NOT NULL,
     description TEXT,
     configurable TEXT NOT NULL DEFAULT '{}',
     metadata TEXT NOT NULL DEFAULT '{}',
     owner TEXT,
     version INTEGER NOT NULL DEFAULT 1,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX assistants_owner ON assistants (owner, created_at);`,
  `ALTER TABLE runs ADD COLUMN lease_owner TEXT, ADD COLUMN lease_until BIGINT;`,
];

/** Threads, runs, their events and assistant variants: one database (orchestrator.sqlite). */
export const MIGRATIONS: Migrations = { sqlite: SQLITE, postgres: POSTGRES };

export interface Row {
  run_id: string;
  thread_id: string;
  task: string;
  status: RunStatus;
  stop_reason: string | null;
  error_code: string | null;
  error_message: string | null;
  summary: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  cancel_requested: number;
  usage_offset: number;
  start_checkpoint: string | null;
  metadata: string;
  multitask_strategy: MultitaskStrategy;
  webhook: string | null;
  control: string;
  interrupts: string | null;
  created_at: string;
  updated_at: string;
}

export interface ThreadRow {
  thread_id: string;
  metadata: string;
  owner: string | null;
  status: ThreadStatus;
  created_at: string;
  updated_at: string;
}

export function toRecord(row: Row): RunRecord {
  return {
    runId: row.run_id,
    threadId: row.thread_id,
    task: row.task,
    status: row.status,
    metadata: JSON.parse(row.metadata) as Metadata,
    multitaskStrategy: row.multitask_strategy,
    webhook: row.webhook,
    stopReason: row.stop_reason,
    error:
      row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    summary: row.summary,
    usage: {
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      costUsd: row.cost_usd,
    },
    cancelRequested: row.cancel_requested === 1,
    usageOffset: row.usage_offset,
    startCheckpoint: row.start_checkpoint,
    control: JSON.parse(row.control) as RunControl,
    interrupts: row.interrupts === null ? null : (JSON.parse(row.interrupts) as RunInterrupt[]),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toThread(row: ThreadRow): ThreadRecord {
  return {
    threadId: row.thread_id,
    metadata: JSON.parse(row.metadata) as Metadata,
    owner: row.owner,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
