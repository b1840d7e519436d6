import path from 'node:path';
import type pg from 'pg';
import {
  openPostgres,
  openSqlite,
  postgresPool,
  type Database,
  type DatabaseKind,
  type Migrations,
} from '../../../src/store/database.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * Store tests that run once per database kind: a real SQLite file, or a real Postgres cluster
 * (one per test file, started by the Postgres block's beforeAll). Every open() is a new, empty
 * database with the store's migrations applied; afterEach closes them all.
 */

export const KINDS: readonly DatabaseKind[] = ['sqlite', 'postgres'];

export interface StoreDatabases {
  /** A new database of this block's kind holding store `name`, its schema up to date. */
  open(name: string, migrations: Migrations): Promise<Database>;
  /** The cluster of the Postgres block (undefined in the SQLite one). */
  postgres(): TestPostgres | undefined;
  /** A new pool on a Postgres database, ended after the test. */
  pool(url: string): pg.Pool;
}

/** Registers the hooks of a `describe` block for `kind` and gives its databases. */
export function useStoreDatabases(kind: DatabaseKind): StoreDatabases {
  let dirs: ReturnType<typeof tempDir>;
  let cluster: TestPostgres | undefined;
  let opened: Database[] = [];
  let pools: pg.Pool[] = [];
  let count = 0;

  beforeAll(async () => {
    dirs = tempDir(`atolye-store-${kind}-`);
    if (kind === 'postgres') cluster = await startPostgres();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(opened.map((database) => database.close()));
    // pool.end() resolves before its clients' sockets close: one the stopping cluster ends
    // first is an 'error' of the pool, unhandled (a failed test) without a listener.
    for (const pool of pools) pool.on('error', () => undefined);
    await Promise.all(pools.map((pool) => pool.end()));
    opened = [];
    pools = [];
  });

  afterAll(async () => {
    await cluster?.stop();
    dirs?.cleanup();
  });

  const pool = (url: string): pg.Pool => {
    const made = postgresPool(url);
    pools.push(made);
    return made;
  };

  return {
    async open(name, migrations) {
      count += 1;
      const database = cluster
        ? await openPostgres(pool(await cluster.createDatabase(`store_${count}`)), name, migrations)
        : openSqlite(path.join(dirs.dir, `${name}-${count}.sqlite`), migrations);
      opened.push(database);
      return database;
    },
    postgres: () => cluster,
    pool,
  };
}
