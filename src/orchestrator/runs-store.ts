import path from 'node:path';
import { AtolyeError } from '../errors.js';
import { openSqlite, sql, type Database } from '../store/database.js';
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
import { inScope } from './sql-filters.js';
import type { RunStatus } from './status.js';
import { THREAD_STATUS } from './thread-status.js';

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

/** A thread row with its status: what every thread read selects. */
export const THREAD_COLUMNS = sql`t.*, ${THREAD_STATUS} AS status`;

/** Threads and their runs: what the orchestrator has been asked to do and how each run ended. */
export class RunsStore {
  constructor(readonly database: Database) {}

  /** The store in a SQLite file (one machine), its schema brought up to date. */
  static inFile(file: string): RunsStore {
    return new RunsStore(openSqlite(file, MIGRATIONS));
  }

  /**
   * Creates a thread belonging to `owner` (none: only admin keys see it); false when one with this
   * id exists already (it is left as it was, whoever owns it).
   */
  async createThread(
    threadId: string,
    metadata: Metadata = {},
    owner: string | null = null,
  ): Promise<boolean> {
    const now = new Date().toISOString();
    const changed = await this.database.run(
      sql`INSERT INTO threads (thread_id, metadata, owner, created_at, updated_at)
          VALUES (${threadId}, ${JSON.stringify(metadata)}, ${owner}, ${now}, ${now})
          ON CONFLICT (thread_id) DO NOTHING`,
    );
    return changed === 1;
  }

  /** Gives every thread without an owner (from before ownership) to `owner`; how many it gave. */
  adoptUnowned(owner: string): Promise<number> {
    return this.database.run(sql`UPDATE threads SET owner = ${owner} WHERE owner IS NULL`);
  }

  /** How many threads have no owner (only admin keys see them). */
  async unownedCount(): Promise<number> {
    const row = await this.database.first<{ count: number }>(
      sql`SELECT CAST(COUNT(*) AS INTEGER) AS count FROM threads WHERE owner IS NULL`,
    );
    return Number(row?.count ?? 0);
  }

  /**
   * Records a new run as `pending`, creating its thread on first use (with no owner: the run API
   * creates the thread, owned, before it starts a run). With `idle`, a thread with a pending or
   * running run refuses it (THREAD_BUSY), checked in the same transaction as the insert.
   */
  async createRun(
    runId: string,
    threadId: string,
    task: string,
    options: RunOptions = {},
    guard: { idle?: boolean } = {},
  ): Promise<RunRecord> {
    await this.database.transaction(async (tx) => {
      await touchThread(tx, threadId);
      if (guard.idle) {
        const active = await tx.first<{ run_id: string }>(
          sql`SELECT run_id FROM runs WHERE thread_id = ${threadId}
                AND status IN ('pending', 'running') ORDER BY seq LIMIT 1`,
        );
        if (active) {
          throw new AtolyeError(
            'THREAD_BUSY',
            `thread ${threadId} is busy with run ${active.run_id}; wait for it, cancel it, or send multitask_strategy "enqueue"`,
          );
        }
      }
      await insertRun(tx, runId, threadId, task, options);
    });
    return (await this.get(runId)) as RunRecord;
  }

  /**
   * Records a new run only while `lastRunId` is still the thread's latest run (nothing else ran
   * since); undefined otherwise. Several orchestrators may try at once: one of them records it.
   */
  async createRunAfter(
    lastRunId: string,
    runId: string,
    threadId: string,
    task: string,
    options: RunOptions = {},
  ): Promise<RunRecord | undefined> {
    const created = await this.database.transaction(async (tx) => {
      await touchThread(tx, threadId);
      const last = await tx.first<{ run_id: string }>(
        sql`SELECT run_id FROM runs WHERE thread_id = ${threadId} ORDER BY seq DESC LIMIT 1`,
      );
      if (last?.run_id !== lastRunId) return false;
      await insertRun(tx, runId, threadId, task, options);
      return true;
    });
    return created ? this.get(runId) : undefined;
  }

  async markRunning(
    runId: string,
    usageOffset: number,
    startCheckpoint: string | null,
  ): Promise<void> {
    await this.database.run(
      sql`UPDATE runs SET status = 'running', usage_offset = ${usageOffset},
            start_checkpoint = ${startCheckpoint}, updated_at = ${new Date().toISOString()}
          WHERE run_id = ${runId}`,
    );
  }

  /** Records how the run ended and lets go of its lease (run-leases.ts). */

  async finish(runId: string, outcome: RunOutcome): Promise<RunRecord> {
    const now = new Date().toISOString();
    const usage = outcome.usage;
    await this.database.run(
      sql`UPDATE runs SET status = ${outcome.status}, stop_reason = ${outcome.stopReason ?? null},
            error_code = ${outcome.error?.code ?? null},
            error_message = ${outcome.error?.message ?? null},
            interrupts = ${outcome.interrupts ? JSON.stringify(outcome.interrupts) : null},
            summary = COALESCE(${outcome.summary ?? null}, summary),
            input_tokens = COALESCE(${usage?.inputTokens ?? null}, input_tokens),
            output_tokens = COALESCE(${usage?.outputTokens ?? null}, output_tokens),
            cost_usd = COALESCE(${usage?.costUsd ?? null}, cost_usd), updated_at = ${now},
            lease_owner = NULL, lease_until = NULL
          WHERE run_id = ${runId}`,
    );
    const run = (await this.get(runId)) as RunRecord;
    await this.database.run(
      sql`UPDATE threads SET updated_at = ${now} WHERE thread_id = ${run.threadId}`,
    );
    return run;
  }

  async requestCancel(runId: string): Promise<void> {
    await this.database.run(
      sql`UPDATE runs SET cancel_requested = 1, updated_at = ${new Date().toISOString()}
          WHERE run_id = ${runId}`,
    );
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const row = await this.database.first<Row>(sql`SELECT * FROM runs WHERE run_id = ${runId}`);
    return row && toRecord(row);
  }

  /** The thread, if it exists and is in `scope`. */
  async thread(threadId: string, scope: ThreadScope): Promise<ThreadRecord | undefined> {
    const row = await this.database.first<ThreadRow>(
      sql`SELECT ${THREAD_COLUMNS} FROM threads t
          WHERE t.thread_id = ${threadId} AND ${inScope('t', scope)}`,
    );
    return row && toThread(row);
  }

  /** Threads in `scope`, most recently active first. */
  async threads(scope: ThreadScope, limit = 50, offset = 0): Promise<ThreadRecord[]> {
    const rows = await this.database.all<ThreadRow>(
      sql`SELECT ${THREAD_COLUMNS} FROM threads t WHERE ${inScope('t', scope)}
          ORDER BY t.updated_at DESC, t.thread_id LIMIT ${limit} OFFSET ${offset}`,
    );
    return rows.map(toThread);
  }

  /**
   * Merges `patch` into the thread's metadata (its keys replace those of the same name, as
   * LangGraph Platform does); undefined for a thread that is not there.
   */
  async patchThreadMetadata(threadId: string, patch: Metadata): Promise<ThreadRecord | undefined> {
    const found = await this.database.transaction(async (tx) => {
      const row = await tx.first<ThreadRow>(
        sql`SELECT * FROM threads WHERE thread_id = ${threadId} ${forUpdate(tx)}`,
      );
      if (!row) return false;
      const metadata = JSON.stringify({ ...(JSON.parse(row.metadata) as Metadata), ...patch });
      await tx.run(
        sql`UPDATE threads SET metadata = ${metadata}, updated_at = ${new Date().toISOString()}
            WHERE thread_id = ${threadId}`,
      );
      return true;
    });
    return found ? this.thread(threadId, { all: true }) : undefined;
  }

  /** Deletes the thread with its runs and their events (the caller checks it is idle). */
  deleteThread(threadId: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      // run_events go with their runs (ON DELETE CASCADE).
      await tx.run(sql`DELETE FROM runs WHERE thread_id = ${threadId}`);
      return (await tx.run(sql`DELETE FROM threads WHERE thread_id = ${threadId}`)) === 1;
    });
  }

  /**
   * Deletes the thread with its runs and their events unless a run of it is pending or running:
   * true when deleted, false when there was no such thread, else the first active run. One
   * transaction, so no run starts on a thread being removed.
   */
  deleteIdleThread(threadId: string): Promise<boolean | RunRecord> {
    return this.database.transaction(async (tx) => {
      const thread = await tx.first(
        sql`SELECT thread_id FROM threads WHERE thread_id = ${threadId} ${forUpdate(tx)}`,
      );
      if (!thread) return false;
      const active = await tx.first<Row>(
        sql`SELECT * FROM runs WHERE thread_id = ${threadId} AND status IN ('pending', 'running')
            ORDER BY seq LIMIT 1`,
      );
      if (active) return toRecord(active);
      await tx.run(sql`DELETE FROM runs WHERE thread_id = ${threadId}`);
      return (await tx.run(sql`DELETE FROM threads WHERE thread_id = ${threadId}`)) === 1;
    });
  }

  /** Deletes one run and its events (the caller checks it has ended); false when there was none. */
  async deleteRun(runId: string): Promise<boolean> {
    return (await this.database.run(sql`DELETE FROM runs WHERE run_id = ${runId}`)) === 1;
  }

  /** A thread's runs, oldest first. */
  async runsOf(threadId: string): Promise<RunRecord[]> {
    const rows = await this.database.all<Row>(
      sql`SELECT * FROM runs WHERE thread_id = ${threadId} ORDER BY seq`,
    );
    return rows.map(toRecord);
  }

  /** A page of the thread's runs, newest first, `status` ones only when given. */
  async runsPage(
    threadId: string,
    page: { limit: number; offset: number; status?: RunStatus },
  ): Promise<RunRecord[]> {
    const rows = await this.database.all<Row>(
      sql`SELECT * FROM runs WHERE thread_id = ${threadId}
            AND ${page.status === undefined ? sql`1 = 1` : sql`status = ${page.status}`}
          ORDER BY seq DESC LIMIT ${page.limit} OFFSET ${page.offset}`,
    );
    return rows.map(toRecord);
  }

  /** The thread's pending or running runs, oldest first. */
  async activeRunsOf(threadId: string): Promise<RunRecord[]> {
    const rows = await this.database.all<Row>(
      sql`SELECT * FROM runs WHERE thread_id = ${threadId} AND status IN ('pending', 'running')
          ORDER BY seq`,
    );
    return rows.map(toRecord);
  }

  /** Runs that paused for approval and are still their thread's last run: they wait for a person. */
  async awaitingApproval(): Promise<RunRecord[]> {
    const rows = await this.database.all<Row>(
      sql`SELECT * FROM runs r WHERE r.status = 'interrupted' AND r.stop_reason = 'approval'
            AND r.seq = (SELECT MAX(seq) FROM runs WHERE thread_id = r.thread_id)
          ORDER BY r.updated_at`,
    );
    return rows.map(toRecord);
  }

  close(): Promise<void> {
    return this.database.close();
  }
}

/**
 * Creates the thread if it is new, else marks it active: either way its row is locked until the
 * transaction ends (Postgres), so runs of one thread are recorded one at a time.
 */
async function touchThread(tx: Database, threadId: string): Promise<void> {
  const now = new Date().toISOString();
  await tx.run(
    sql`INSERT INTO threads (thread_id, created_at, updated_at) VALUES (${threadId}, ${now}, ${now})
        ON CONFLICT (thread_id) DO UPDATE SET updated_at = excluded.updated_at`,
  );
}

async function insertRun(
  tx: Database,
  runId: string,
  threadId: string,
  task: string,
  options: RunOptions,
): Promise<void> {
  const now = new Date().toISOString();
  await tx.run(
    sql`INSERT INTO runs (run_id, thread_id, seq, task, status, metadata, multitask_strategy,
                          webhook, control, created_at, updated_at)
        VALUES (${runId}, ${threadId},
                (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs WHERE thread_id = ${threadId}),
                ${task}, 'pending', ${JSON.stringify(options.metadata ?? {})},
                ${options.multitaskStrategy ?? 'reject'}, ${options.webhook ?? null},
                ${JSON.stringify(options.control ?? {})}, ${now}, ${now})`,
  );
}

/** Postgres locks the rows a transaction reads to change; SQLite's transactions hold the file. */
export function forUpdate(database: Database) {
  return database.kind === 'postgres' ? sql`FOR UPDATE` : sql.raw('');
}
