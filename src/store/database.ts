import { Kysely, PostgresDialect, SqliteDialect, sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { openDatabase } from './sqlite.js';

/**
 * The orchestrator's stores on SQL: SQLite files in the data directory on one machine (the
 * default), one Postgres database for several orchestrators. Queries are written once as `sql`
 * templates (Kysely binds the values for either dialect); the few places the dialects differ ask
 * `database.kind`.
 */

export type DatabaseKind = 'sqlite' | 'postgres';

// Stores describe their rows themselves; Kysely's table typing is not used.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>;

export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Db;
  /** The rows of a query. */
  all<Row>(query: RawBuilder<unknown>): Promise<Row[]>;
  /** Its first row, if any. */
  first<Row>(query: RawBuilder<unknown>): Promise<Row | undefined>;
  /** How many rows a statement changed. */
  run(query: RawBuilder<unknown>): Promise<number>;
  /** `work` in one transaction, with a database bound to it. */
  transaction<T>(work: (tx: Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Each store's schema, step by step: `sqlite[i]` and `postgres[i]` upgrade it from version i to
 * i + 1. The two lists may differ in length (Postgres came later and starts at today's shape).
 */
export interface Migrations {
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

export { sql };

export function wrap(kind: DatabaseKind, db: Db, close: () => Promise<void>): Database {
  return {
    kind,
    db,
    all: async <Row>(query: RawBuilder<unknown>) => (await query.execute(db)).rows as Row[],
    first: async <Row>(query: RawBuilder<unknown>) =>
      (await query.execute(db)).rows[0] as Row | undefined,
    run: async (query) => Number((await query.execute(db)).numAffectedRows ?? 0n),
    transaction: (work) =>
      db.transaction().execute((tx) => work(wrap(kind, tx, () => Promise.resolve()))),
    close,
  };
}

/** Opens (and creates) a SQLite file and brings the store's schema up to date. */
export function openSqlite(file: string, migrations: Migrations): Database {
  const raw = openDatabase(file, migrations.sqlite);
  const db: Db = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
  return wrap('sqlite', db, async () => {
    await db.destroy();
    // Kysely only closes a database it has used: one opened and never queried stays open.
    if (raw.open) raw.close();
  });
}

/** A pool of connections to a Postgres database, shared by the stores of one process. */
export function postgresPool(url: string, connectTimeoutMs = 10_000, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    max,
  });
  // An idle connection the server drops (a restart, an admin's terminate) is replaced by the
  // pool; unheard, its 'error' would end the process. Owners add a listener that logs it.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The store `name` on a Postgres pool, its schema brought up to date. Several processes may start
 * at once: each migration runs under a transaction-scoped advisory lock, so one of them migrates
 * and the others find the work done.
 */
export async function openPostgres(
  pool: pg.Pool,
  name: string,
  migrations: Migrations,
): Promise<Database> {
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  await db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('atolye_schema'))`.execute(tx);
    await sql`CREATE TABLE IF NOT EXISTS atolye_schema (
                store TEXT PRIMARY KEY, version INTEGER NOT NULL)`.execute(tx);
    const found = await sql<{
      version: number;
    }>`SELECT version FROM atolye_schema WHERE store = ${name}`.execute(tx);
    const current = found.rows[0]?.version ?? 0;
    for (let version = current; version < migrations.postgres.length; version += 1) {
      await sql.raw(migrations.postgres[version] as string).execute(tx);
    }
    if (current < migrations.postgres.length) {
      await sql`INSERT INTO atolye_schema (store, version) VALUES (${name}, ${migrations.postgres.length})
                ON CONFLICT (store) DO UPDATE SET version = excluded.version`.execute(tx);
    }
  });
  // The pool belongs to whoever made it: closing one store leaves the others open.
  return wrap('postgres', db, () => Promise.resolve());
}

/** `column IN (values)` that stays valid SQL for an empty list (then nothing matches). */
export function inList(
  column: RawBuilder<unknown>,
  values: readonly unknown[],
): RawBuilder<unknown> {
  return values.length === 0 ? sql`1 = 0` : sql`${column} IN (${sql.join(values)})`;
}
