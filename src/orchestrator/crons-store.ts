import path from 'node:path';
import { openSqlite, sql, type Database, type Migrations } from '../store/database.js';
import type { CronRunPayload, CronSortKey } from './api/schemas-crons.js';
import type { Metadata, ThreadScope } from './runs-store.js';
import { inScope, metadataMatches } from './sql-filters.js';

/**
 * Crons: runs the orchestrator starts on a schedule. A store of their own beside the runs' store
 * (on SQLite a file of their own, on Postgres tables under their own schema version), so neither
 * store's migrations wait on the other's; a cron names its thread by id only, and the scheduler
 * finds out at a firing when that thread is gone.
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
  /** Each key with an equal value (sql-filters.ts, as the thread search has it). */
  metadata?: Record<string, unknown>;
}

const TABLE = `CREATE TABLE crons (
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
   CREATE INDEX crons_owner ON crons (owner, created_at);`;

/**
 * The crons table, the same on both: `enabled` is an INTEGER (0 or 1) on Postgres too, so its
 * rows read alike. Postgres starts at the shape the SQLite steps reach.
 */
export const CRON_MIGRATIONS: Migrations = { sqlite: [TABLE], postgres: [TABLE] };

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
  constructor(readonly database: Database) {}

  /** The store in a SQLite file (one machine), its schema brought up to date. */
  static inFile(file: string): CronsStore {
    return new CronsStore(openSqlite(file, CRON_MIGRATIONS));
  }

  async insert(cron: NewCron): Promise<CronRecord> {
    const now = new Date().toISOString();
    await this.database.run(
      sql`INSERT INTO crons (cron_id, thread_id, owner, key_id, key_name, key_team, schedule,
            end_time, enabled, on_run_completed, payload, metadata, next_run_date, created_at,
            updated_at)
          VALUES (${cron.cronId}, ${cron.threadId}, ${cron.owner}, ${cron.key.id},
                  ${cron.key.name}, ${cron.key.team}, ${cron.schedule}, ${cron.endTime},
                  ${cron.enabled ? 1 : 0}, ${cron.onRunCompleted}, ${JSON.stringify(cron.payload)},
                  ${JSON.stringify(cron.metadata)}, ${cron.nextRunDate}, ${now}, ${now})`,
    );
    return (await this.get(cron.cronId, { all: true })) as CronRecord;
  }

  /** The cron, if it exists and is in `scope`. */
  async get(cronId: string, scope: ThreadScope): Promise<CronRecord | undefined> {
    const row = await this.database.first<Row>(
      sql`SELECT * FROM crons c WHERE c.cron_id = ${cronId} AND ${inScope('c', scope)}`,
    );
    return row && toRecord(row);
  }

  /** The crons in `scope` that pass `filter`, sorted, a page of them (a negative limit: all). */
  async find(
    filter: CronFilter,
    scope: ThreadScope,
    sort: { by: CronSortKey; order: 'asc' | 'desc' } = { by: 'created_at', order: 'desc' },
    page: { limit: number; offset: number } = { limit: -1, offset: 0 },
  ): Promise<CronRecord[]> {
    // The column is one of CRON_SORT_KEYS (schemas-crons.ts, which the request was checked
    // against), the order one of two words: nothing interpolated comes from a request's text.
    // NULLs sort as SQLite has them (before every value) on Postgres too.
    const order = sort.order === 'asc' ? sql.raw('ASC NULLS FIRST') : sql.raw('DESC NULLS LAST');
    const limit =
      page.limit >= 0
        ? sql`${page.limit}`
        : sql.raw(this.database.kind === 'postgres' ? 'ALL' : '-1');
    const rows = await this.database.all<Row>(
      sql`SELECT * FROM crons c WHERE ${this.where(filter, scope)}
          ORDER BY ${sql.ref(`c.${sort.by}`)} ${order}, c.cron_id
          LIMIT ${limit} OFFSET ${page.offset}`,
    );
    return rows.map(toRecord);
  }

  /** How many crons in `scope` pass `filter`. */
  async count(filter: CronFilter, scope: ThreadScope): Promise<number> {
    // pg gives a bigint COUNT as a string: an INTEGER it gives as a number.
    const row = await this.database.first<{ count: number }>(
      sql`SELECT CAST(COUNT(*) AS INTEGER) AS count FROM crons c
          WHERE ${this.where(filter, scope)}`,
    );
    return Number(row?.count ?? 0);
  }

  private where(filter: CronFilter, scope: ThreadScope) {
    const conditions = [
      inScope('c', scope),
      metadataMatches(this.database.kind, 'c.metadata', filter.metadata),
    ];
    if (filter.threadId !== undefined) conditions.push(sql`c.thread_id = ${filter.threadId}`);
    if (filter.enabled !== undefined) conditions.push(sql`c.enabled = ${filter.enabled ? 1 : 0}`);
    return sql.join(conditions, sql` AND `);
  }

  async update(cronId: string, changes: CronChanges): Promise<CronRecord | undefined> {
    const sets = (Object.keys(changes) as (keyof CronChanges)[])
      .filter((key) => changes[key] !== undefined)
      .map((key) => sql`${sql.ref(COLUMNS[key])} = ${columnValue(key, changes[key])}`);
    sets.push(sql`updated_at = ${new Date().toISOString()}`);
    await this.database.run(sql`UPDATE crons SET ${sql.join(sets)} WHERE cron_id = ${cronId}`);
    return this.get(cronId, { all: true });
  }

  async delete(cronId: string): Promise<boolean> {
    return (await this.database.run(sql`DELETE FROM crons WHERE cron_id = ${cronId}`)) === 1;
  }

  /** Crons due at `now` (ISO 8601, UTC), the most overdue first. */
  async due(now: string): Promise<CronRecord[]> {
    const rows = await this.database.all<Row>(
      sql`SELECT * FROM crons WHERE next_run_date IS NOT NULL AND next_run_date <= ${now}
          ORDER BY next_run_date, cron_id`,
    );
    return rows.map(toRecord);
  }

  /** When the next cron is due, if any is. */
  async earliestNextRun(): Promise<string | null> {
    const row = await this.database.first<{ next: string | null }>(
      sql`SELECT MIN(next_run_date) AS next FROM crons`,
    );
    return row?.next ?? null;
  }

  /** When the cron fires next (null: no more, or disabled). */
  /**
   * Moves the cron's next firing from `due` to `next`; false when it was not at `due` any more:
   * another orchestrator fired it first (or a request changed it), and this one must not.
   */
  async advance(cronId: string, due: string, next: string | null): Promise<boolean> {
    const changed = await this.database.run(
      sql`UPDATE crons SET next_run_date = ${next}
          WHERE cron_id = ${cronId} AND next_run_date = ${due}`,
    );
    return changed === 1;
  }

  /** The run the cron's latest firing started. */
  async setLastRun(cronId: string, runId: string): Promise<void> {
    await this.database.run(sql`UPDATE crons SET last_run_id = ${runId} WHERE cron_id = ${cronId}`);
  }

  close(): Promise<void> {
    return this.database.close();
  }
}

/** A record field as its column holds it. */
function columnValue(key: keyof CronChanges, value: CronChanges[keyof CronChanges]): unknown {
  if (key === 'metadata' || key === 'payload') return JSON.stringify(value);
  if (key === 'enabled') return value ? 1 : 0;
  return value;
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
