import path from 'node:path';
import { openDatabase, type SqliteDatabase } from '../store/sqlite.js';
import {
  MIGRATIONS,
  toRecord,
  toThread,
  type Metadata,
  type Row,
  type RunOptions,
  type RunOutcome,
  type RunRecord,
  type ThreadRecord,
  type ThreadRow,
  type ThreadScope,
} from './run-records.js';

export {
  toThread,
  type Metadata,
  type MultitaskStrategy,
  type RunControl,
  type RunInterrupt,
  type RunOptions,
  type RunOutcome,
  type RunRecord,
  type ThreadRecord,
  type ThreadRow,
  type ThreadScope,
} from './run-records.js';

/** The store's file under `storage.dataDir` (already resolved to an absolute path). */
export function runsFile(dataDir: string): string {
  return path.join(dataDir, 'orchestrator.sqlite');
}

/** Threads and their runs: what the orchestrator has been asked to do and how each run ended. */

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
                             webhook, control, created_at, updated_at)
           VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs WHERE thread_id = ?), ?,
                   'pending', ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          runId,
          threadId,
          threadId,
          task,
          JSON.stringify(options.metadata ?? {}),
          options.multitaskStrategy ?? 'reject',
          options.webhook ?? null,
          JSON.stringify(options.control ?? {}),
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
           interrupts = ?, summary = COALESCE(?, summary),
           input_tokens = COALESCE(?, input_tokens), output_tokens = COALESCE(?, output_tokens),
           cost_usd = COALESCE(?, cost_usd), updated_at = ?
         WHERE run_id = ?`,
      )
      .run(
        outcome.status,
        outcome.stopReason ?? null,
        outcome.error?.code ?? null,
        outcome.error?.message ?? null,
        outcome.interrupts ? JSON.stringify(outcome.interrupts) : null,
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

  /**
   * Merges `patch` into the thread's metadata (its keys replace those of the same name, as
   * LangGraph Platform does); undefined for a thread that is not there.
   */
  patchThreadMetadata(threadId: string, patch: Metadata): ThreadRecord | undefined {
    return this.db.transaction(() => {
      const row = this.db.prepare(`SELECT * FROM threads WHERE thread_id = ?`).get(threadId) as
        ThreadRow | undefined;
      if (!row) return undefined;
      const metadata = JSON.stringify({ ...(JSON.parse(row.metadata) as Metadata), ...patch });
      const now = new Date().toISOString();
      this.db
        .prepare(`UPDATE threads SET metadata = ?, updated_at = ? WHERE thread_id = ?`)
        .run(metadata, now, threadId);
      return toThread({ ...row, metadata, updated_at: now });
    })();
  }

  /** Deletes the thread with its runs and their events (the caller checks it is idle). */
  deleteThread(threadId: string): boolean {
    return this.db.transaction(() => {
      // run_events go with their runs (ON DELETE CASCADE).
      this.db.prepare(`DELETE FROM runs WHERE thread_id = ?`).run(threadId);
      return this.db.prepare(`DELETE FROM threads WHERE thread_id = ?`).run(threadId).changes === 1;
    })();
  }

  /** Deletes one run and its events (the caller checks it has ended); false when there was none. */
  deleteRun(runId: string): boolean {
    return this.db.prepare(`DELETE FROM runs WHERE run_id = ?`).run(runId).changes === 1;
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

  /** Runs that paused for approval and are still their thread's last run: they wait for a person. */
  awaitingApproval(): RunRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM runs r WHERE r.status = 'interrupted' AND r.stop_reason = 'approval'
           AND r.seq = (SELECT MAX(seq) FROM runs WHERE thread_id = r.thread_id)
         ORDER BY r.updated_at`,
      )
      .all() as Row[];
    return rows.map(toRecord);
  }

  close(): void {
    this.db.close();
  }
}
