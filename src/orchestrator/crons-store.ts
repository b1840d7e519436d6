import path from 'node:path';
import { openDatabase, type SqliteDatabase } from '../store/sqlite.js';
import type { CronRunPayload, CronSortKey } from './api/schemas-crons.js';
import { metadataCondition } from './metadata-filter.js';
import { scopeParams, type Metadata, type ThreadScope } from './runs-store.js';

/**
 * Crons: runs the orchestrator starts on a schedule. A file of their own beside the runs' store,
 * so neither store's migrations wait on the other's; a cron names its thread by id only, and the
 * scheduler finds out at a firing when that thread is gone.
 */

export function cronsFile(dataDir: string): string {
  return path.join(dataDir, 'crons.sqlite');
}

/** What happens to the thread a cron without a thread of its own made for a run. */
export type OnRunCompleted = 'keep' | 'delete';

export interface CronRecord {
  cronId: string;
  /** The thread every firing runs on; null: each firing gets a new thread. */
  threadId: string | null;
  /** Who the cron belongs to (`key:NAME` or `team:NAME`, see api/access.ts), as a thread does. */
  owner: string;
  /** The key that created it: a firing acts as that key, without admin rights. */
  key: { id: number; name: string; team: string | null };
  /** A cron expression in UTC (cron-schedule.ts). */
  schedule: string;
  /** No firing at or after this time (ISO 8601, UTC); null: none. */
  endTime: string | null;
  enabled: boolean;
  /** Set for crons without a thread only. */
  onRunCompleted: OnRunCompleted | null;
  /** The run each firing starts, in the run API's fields (RunCreate), metadata aside. */
  payload: CronRunPayload;
  /** The cron's own; each of its runs carries it too, with `cron_id`. */
  metadata: Metadata;
  /** When it fires next; null while disabled or once past `endTime`. */
  nextRunDate: string | null;
  /** The run of its latest firing: while that is pending or running, a firing is skipped. */
  lastRunId: string | null;
  createdAt: string;
  updatedAt: string;
}

export type NewCron = Omit<CronRecord, 'lastRunId' | 'createdAt' | 'updatedAt'>;

/** What an update may change. */
export type CronChanges = Partial<
  Pick<
    CronRecord,
    'schedule' | 'endTime' | 'enabled' | 'onRunCompleted' | 'payload' | 'metadata' | 'nextRunDate'
  >
>;

export interface CronFilter {
  threadId?: string;
  enabled?: boolean;
  /** Each key with an equal value (metadata-filter.ts, as the thread search has it). */
  metadata?: Record<string, unknown>;
}

const MIGRATIONS = [
  `CREATE TABLE crons (
     cron_id TEXT PRIMARY KEY,
     thread_id TEXT,
     owner TEXT NOT NULL,
     key_id INTEGER NOT NULL,
     key_name TEXT NOT NULL,
     key_team TEXT,
     schedule TEXT NOT NULL,
     end_time TEXT,
     enabled INTEGER NOT NULL,
     on_run_completed TEXT CHECK (on_run_completed IN ('keep', 'delete')),
     payload TEXT NOT NULL,
     metadata TEXT NOT NULL,
     next_run_date TEXT,
     last_run_id TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX crons_due ON crons (next_run_date) WHERE next_run_date IS NOT NULL;
   CREATE INDEX crons_owner ON crons (owner, created_at);`,
];

/** The row aliased `c` is in the scope of scopeParams()' `@all` and `@owners`. */
const IN_SCOPE = `(@all = 1 OR c.owner IN (SELECT value FROM json_each(@owners)))`;

/** Record fields an update may set, and their columns. */
const COLUMNS: Record<keyof CronChanges, string> = {
  schedule: 'schedule',
  endTime: 'end_time',
  enabled: 'enabled',
  onRunCompleted: 'on_run_completed',
  payload: 'payload',
  metadata: 'metadata',
  nextRunDate: 'next_run_date',
};

interface Row {
  cron_id: string;
  thread_id: string | null;
  owner: string;
  key_id: number;
  key_name: string;
  key_team: string | null;
  schedule: string;
  end_time: string | null;
  enabled: number;
  on_run_completed: OnRunCompleted | null;
  payload: string;
  metadata: string;
  next_run_date: string | null;
  last_run_id: string | null;
  created_at: string;
  updated_at: string;
}

export class CronsStore {
  readonly db: SqliteDatabase;

  constructor(file: string) {
    this.db = openDatabase(file, MIGRATIONS);
  }

  insert(cron: NewCron): CronRecord {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO crons (cron_id, thread_id, owner, key_id, key_name, key_team, schedule,
           end_time, enabled, on_run_completed, payload, metadata, next_run_date, created_at,
           updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        cron.cronId,
        cron.threadId,
        cron.owner,
        cron.key.id,
        cron.key.name,
        cron.key.team,
        cron.schedule,
        cron.endTime,
        cron.enabled ? 1 : 0,
        cron.onRunCompleted,
        JSON.stringify(cron.payload),
        JSON.stringify(cron.metadata),
        cron.nextRunDate,
        now,
        now,
      );
    return this.get(cron.cronId, { all: true }) as CronRecord;
  }

  /** The cron, if it exists and is in `scope`. */
  get(cronId: string, scope: ThreadScope): CronRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM crons c WHERE c.cron_id = @cronId AND ${IN_SCOPE}`)
      .get({ cronId, ...scopeParams(scope) }) as Row | undefined;
    return row && toRecord(row);
  }

  /** The crons in `scope` that pass `filter`, sorted, a page of them. */
  find(
    filter: CronFilter,
    scope: ThreadScope,
    sort: { by: CronSortKey; order: 'asc' | 'desc' } = { by: 'created_at', order: 'desc' },
    page: { limit: number; offset: number } = { limit: -1, offset: 0 },
  ): CronRecord[] {
    const where = this.where(filter, scope);
    // The column is one of CRON_SORT_KEYS (schemas-crons.ts, which the request was checked
    // against), the order one of two words: nothing interpolated comes from a request's text.
    const order = `c.${sort.by} ${sort.order === 'asc' ? 'ASC' : 'DESC'}, c.cron_id`;
    const rows = this.db
      .prepare(
        `SELECT * FROM crons c WHERE ${where.sql} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
      )
      .all({ ...where.params, ...page }) as Row[];
    return rows.map(toRecord);
  }

  /** How many crons in `scope` pass `filter`. */
  count(filter: CronFilter, scope: ThreadScope): number {
    const where = this.where(filter, scope);
    const row = this.db
      .prepare(`SELECT COUNT(*) AS count FROM crons c WHERE ${where.sql}`)
      .get(where.params) as { count: number };
    return row.count;
  }

  private where(
    filter: CronFilter,
    scope: ThreadScope,
  ): { sql: string; params: Record<string, unknown> } {
    const metadata = metadataCondition('c.metadata', filter.metadata);
    return {
      sql: `${IN_SCOPE}
        AND (@threadId IS NULL OR c.thread_id = @threadId)
        AND (@enabled IS NULL OR c.enabled = @enabled)
        AND ${metadata.sql}`,
      params: {
        ...scopeParams(scope),
        ...metadata.params,
        threadId: filter.threadId ?? null,
        enabled: filter.enabled === undefined ? null : filter.enabled ? 1 : 0,
      },
    };
  }

  update(cronId: string, changes: CronChanges): CronRecord | undefined {
    const entries = (Object.keys(changes) as (keyof CronChanges)[]).filter(
      (key) => changes[key] !== undefined,
    );
    const values = entries.map((key) => {
      const value = changes[key];
      if (key === 'metadata' || key === 'payload') return JSON.stringify(value);
      if (key === 'enabled') return value ? 1 : 0;
      return value;
    });
    const sets = entries.map((key) => `${COLUMNS[key]} = ?`);
    this.db
      .prepare(`UPDATE crons SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE cron_id = ?`)
      .run(...values, new Date().toISOString(), cronId);
    return this.get(cronId, { all: true });
  }

  delete(cronId: string): boolean {
    return this.db.prepare(`DELETE FROM crons WHERE cron_id = ?`).run(cronId).changes === 1;
  }

  /** Crons due at `now` (ISO 8601, UTC), the most overdue first. */
  due(now: string): CronRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM crons WHERE next_run_date IS NOT NULL AND next_run_date <= ?
         ORDER BY next_run_date, cron_id`,
      )
      .all(now) as Row[];
    return rows.map(toRecord);
  }

  /** When the next cron is due, if any is. */
  earliestNextRun(): string | null {
    const row = this.db.prepare(`SELECT MIN(next_run_date) AS next FROM crons`).get() as {
      next: string | null;
    };
    return row.next;
  }

  /** When the cron fires next (null: no more, or disabled). */
  setNextRun(cronId: string, nextRunDate: string | null): void {
    this.db
      .prepare(`UPDATE crons SET next_run_date = ? WHERE cron_id = ?`)
      .run(nextRunDate, cronId);
  }

  /** The run the cron's latest firing started. */
  setLastRun(cronId: string, runId: string): void {
    this.db.prepare(`UPDATE crons SET last_run_id = ? WHERE cron_id = ?`).run(runId, cronId);
  }

  close(): void {
    this.db.close();
  }
}

function toRecord(row: Row): CronRecord {
  return {
    cronId: row.cron_id,
    threadId: row.thread_id,
    owner: row.owner,
    key: { id: row.key_id, name: row.key_name, team: row.key_team },
    schedule: row.schedule,
    endTime: row.end_time,
    enabled: row.enabled === 1,
    onRunCompleted: row.on_run_completed,
    payload: JSON.parse(row.payload) as CronRunPayload,
    metadata: JSON.parse(row.metadata) as Metadata,
    nextRunDate: row.next_run_date,
    lastRunId: row.last_run_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
