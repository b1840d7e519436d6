import { sql, type Database } from '../store/database.js';

/**
 * Which orchestrator executes which run. A run is executed by the orchestrator holding its lease,
 * renewed by a heartbeat; a lease that lapses (its process killed, its machine lost) frees the run
 * for any orchestrator on the same store, which resumes it from its last checkpoint. Runs of one
 * thread go one after another: a run is free only once every earlier run of its thread has ended.
 * Times are the database's clock, so orchestrators on several machines measure leases alike.
 */

const ACTIVE = sql`('pending', 'running')`;

export class RunLeases {
  constructor(
    private readonly database: Database,
    /** This orchestrator, as lease_owner: unique per process. */
    readonly owner: string,
    readonly leaseMs: number,
  ) {}

  /**
   * Takes up to `limit` free runs, oldest first, and returns their ids: pending runs whose turn
   * has come and runs whose lease has lapsed. On Postgres, rows another orchestrator is taking at
   * this moment are skipped (FOR UPDATE SKIP LOCKED), so a queue of runs spreads over them.
   */
  async claim(limit: number): Promise<string[]> {
    const now = this.now();
    const rows = await this.database.all<{ run_id: string }>(
      sql`UPDATE runs SET lease_owner = ${this.owner}, lease_until = ${now} + ${this.leaseMs}
          WHERE run_id IN (
            SELECT r.run_id FROM runs r
            WHERE r.status IN ${ACTIVE}
              AND (r.lease_owner IS NULL OR r.lease_until < ${now})
              AND NOT EXISTS (SELECT 1 FROM runs e WHERE e.thread_id = r.thread_id
                              AND e.seq < r.seq AND e.status IN ${ACTIVE})
            ORDER BY r.created_at, r.seq LIMIT ${limit}
            ${this.database.kind === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql.raw('')})
          RETURNING run_id`,
    );
    return rows.map((row) => row.run_id);
  }

  /**
   * Renews the leases of `runIds` this orchestrator holds; returns those it still holds (the
   * others ended, or were taken over after a missed heartbeat and must stop here).
   */
  async renew(runIds: readonly string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    const rows = await this.database.all<{ run_id: string }>(
      sql`UPDATE runs SET lease_until = ${this.now()} + ${this.leaseMs}
          WHERE lease_owner = ${this.owner} AND status IN ${ACTIVE}
            AND run_id IN (${sql.join(runIds)})
          RETURNING run_id`,
    );
    return new Set(rows.map((row) => row.run_id));
  }

  /** Lets go of every run this orchestrator holds (it is stopping): another may take them at once. */
  async releaseAll(): Promise<number> {
    return this.database.run(
      sql`UPDATE runs SET lease_owner = NULL, lease_until = NULL
          WHERE lease_owner = ${this.owner} AND status IN ${ACTIVE}`,
    );
  }

  /**
   * Frees every unfinished run whoever holds it: for a store only one orchestrator uses (SQLite on
   * one machine), whose runs a restart takes up at once instead of after their leases lapse.
   */
  async releaseEvery(): Promise<number> {
    return this.database.run(
      sql`UPDATE runs SET lease_owner = NULL, lease_until = NULL WHERE status IN ${ACTIVE}`,
    );
  }

  /** Now in ms since the epoch, by the database's clock. */
  private now() {
    return this.database.kind === 'postgres'
      ? sql`CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`
      : sql`CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;
  }
}
