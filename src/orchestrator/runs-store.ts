import path from 'node:path';
import type { StepUsage } from '../agent/graph/index.js';
import { openDatabase, type SqliteDatabase } from '../store/sqlite.js';
import type { RunStatus } from './status.js';

/** Threads and their runs: what the orchestrator has been asked to do and how each run ended. */

export type Metadata = Record<string, unknown>;

/** The store's file under `storage.dataDir` (already resolved to an absolute path). */
export function runsFile(dataDir: string): string {
  return path.join(dataDir, 'orchestrator.sqlite');
}

export interface ThreadRecord {
  threadId: string;
  metadata: Metadata;
  /**
   * Who the thread belongs to (`key:NAME` or `team:NAME`, see api/access.ts); null for threads
   * from before ownership existed, which only admin keys see.
   */
  owner: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Which threads a reader may see: every one (an admin key), or those of the listed owners. Every
 * read that takes a scope filters in its SQL, so a thread out of scope is never loaded.
 */
export type ThreadScope = { readonly all: true } | { readonly owners: readonly string[] };

/** What a second run on a busy thread does: refused, or queued behind the running one. */
export type MultitaskStrategy = 'reject' | 'enqueue';

export interface RunOptions {
  metadata?: Metadata;
  multitaskStrategy?: MultitaskStrategy;
  /** Called with the run record when the run ends. */
  webhook?: string | null;
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
  createdAt: string;
  updatedAt: string;
}

export interface RunOutcome {
  status: RunStatus;
  stopReason?: string | null;
  error?: { code: string; message: string } | null;
  summary?: string | null;
  usage?: StepUsage;
}

const MIGRATIONS = [
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
];

/**
 * The SQL condition that the `threads` row aliased `t` is in a scope; its named parameters
 * `@all` and `@owners` come from scopeParams(). One prepared statement serves every scope.
 */
export const IN_SCOPE = `(@all = 1 OR t.owner IN (SELECT value FROM json_each(@owners)))`;

export function scopeParams(scope: ThreadScope): { all: number; owners: string } {
  return 'all' in scope
    ? { all: 1, owners: '[]' }
    : { all: 0, owners: JSON.stringify(scope.owners) };
}

interface Row {
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
  created_at: string;
  updated_at: string;
}

interface ThreadRow {
  thread_id: string;
  metadata: string;
  owner: string | null;
  created_at: string;
  updated_at: string;
}

export class RunsStore {
  readonly db: SqliteDatabase;

  constructor(file: string) {
    this.db = openDatabase(file, MIGRATIONS);
  }

  /**
   * Creates a thread belonging to `owner` (none: only admin keys see it); false when one with this
   * id exists already (it is left as it was, whoever owns it).
   */
  createThread(threadId: string, metadata: Metadata = {}, owner: string | null = null): boolean {
    const now = new Date().toISOString();
    const result = this.db
      .prepare(
        `INSERT INTO threads (thread_id, metadata, owner, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (thread_id) DO NOTHING`,
      )
      .run(threadId, JSON.stringify(metadata), owner, now, now);
    return result.changes === 1;
  }

  /** Gives every thread without an owner (from before ownership) to `owner`; how many it gave. */
  adoptUnowned(owner: string): number {
    return this.db.prepare(`UPDATE threads SET owner = ? WHERE owner IS NULL`).run(owner).changes;
  }

  /** How many threads have no owner (only admin keys see them). */
  unownedCount(): number {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS count FROM threads WHERE owner IS NULL`)
      .get() as { count: number };
    return row.count;
  }

  /**
   * Records a new run as `pending`, creating its thread on first use (with no owner: the run API
   * creates the thread, owned, before it starts a run).
   */
  createRun(runId: string, threadId: string, task: string, options: RunOptions = {}): RunRecord {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO threads (thread_id, created_at, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (thread_id) DO UPDATE SET updated_at = excluded.updated_at`,
        )
        .run(threadId, now, now);
      this.db
        .prepare(
          `INSERT INTO runs (run_id, thread_id, seq, task, status, metadata, multitask_strategy,
                             webhook, created_at, updated_at)
           VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs WHERE thread_id = ?), ?,
                   'pending', ?, ?, ?, ?, ?)`,
        )
        .run(
          runId,
          threadId,
          threadId,
          task,
          JSON.stringify(options.metadata ?? {}),
          options.multitaskStrategy ?? 'reject',
          options.webhook ?? null,
          now,
          now,
        );
    })();
    return this.get(runId) as RunRecord;
  }

  markRunning(runId: string, usageOffset: number, startCheckpoint: string | null): void {
    this.db
      .prepare(
        `UPDATE runs SET status = 'running', usage_offset = ?, start_checkpoint = ?, updated_at = ?
         WHERE run_id = ?`,
      )
      .run(usageOffset, startCheckpoint, new Date().toISOString(), runId);
  }

  finish(runId: string, outcome: RunOutcome): RunRecord {
    const now = new Date().toISOString();
    const usage = outcome.usage;
    this.db
      .prepare(
        `UPDATE runs SET status = ?, stop_reason = ?, error_code = ?, error_message = ?,
           summary = COALESCE(?, summary),
           input_tokens = COALESCE(?, input_tokens), output_tokens = COALESCE(?, output_tokens),
           cost_usd = COALESCE(?, cost_usd), updated_at = ?
         WHERE run_id = ?`,
      )
      .run(
        outcome.status,
        outcome.stopReason ?? null,
        outcome.error?.code ?? null,
        outcome.error?.message ?? null,
        outcome.summary ?? null,
        usage?.inputTokens ?? null,
        usage?.outputTokens ?? null,
        usage?.costUsd ?? null,
        now,
        runId,
      );
    const run = this.get(runId) as RunRecord;
    this.db.prepare(`UPDATE threads SET updated_at = ? WHERE thread_id = ?`).run(now, run.threadId);
    return run;
  }

  requestCancel(runId: string): void {
    this.db
      .prepare(`UPDATE runs SET cancel_requested = 1, updated_at = ? WHERE run_id = ?`)
      .run(new Date().toISOString(), runId);
  }

  get(runId: string): RunRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM runs WHERE run_id = ?`).get(runId) as
      Row | undefined;
    return row && toRecord(row);
  }

  /** The thread, if it exists and is in `scope`. */
  thread(threadId: string, scope: ThreadScope): ThreadRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM threads t WHERE t.thread_id = @threadId AND ${IN_SCOPE}`)
      .get({ threadId, ...scopeParams(scope) }) as ThreadRow | undefined;
    return row && toThread(row);
  }

  /** Threads in `scope`, most recently active first. */
  threads(scope: ThreadScope, limit = 50, offset = 0): ThreadRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM threads t WHERE ${IN_SCOPE}
         ORDER BY t.updated_at DESC, t.thread_id LIMIT @limit OFFSET @offset`,
      )
      .all({ ...scopeParams(scope), limit, offset }) as ThreadRow[];
    return rows.map(toThread);
  }

  /** A thread's runs, oldest first. */
  runsOf(threadId: string): RunRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM runs WHERE thread_id = ? ORDER BY seq`)
      .all(threadId) as Row[];
    return rows.map(toRecord);
  }

  /** The thread's pending or running runs, oldest first. */
  activeRunsOf(threadId: string): RunRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM runs WHERE thread_id = ? AND status IN ('pending', 'running') ORDER BY seq`,
      )
      .all(threadId) as Row[];
    return rows.map(toRecord);
  }

  /** Runs a stopped orchestrator left behind, in the order they were created. */
  unfinished(): RunRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM runs WHERE status IN ('pending', 'running') ORDER BY created_at, seq`)
      .all() as Row[];
    return rows.map(toRecord);
  }

  close(): void {
    this.db.close();
  }
}

function toRecord(row: Row): RunRecord {
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
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toThread(row: ThreadRow): ThreadRecord {
  return {
    threadId: row.thread_id,
    metadata: JSON.parse(row.metadata) as Metadata,
    owner: row.owner,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
