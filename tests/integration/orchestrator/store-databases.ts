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
  /**
   * A second handle on the database `database` was opened on, as another process would hold
   * it: its own connection to the SQLite file, or its own pool on the Postgres database.
   */
  reopen(database: Database): Promise<Database>;
}

/**
 * Ends `pool` and waits until its connections are closed. pool.end() resolves as soon as it has
 * asked each client to end, before their sockets close; a cluster stopped in between ends them
 * itself, an 'error' of the pool that is unhandled (a failed test) without a listener.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  pool.on('error', () => undefined);
  // Every client the pool holds is removed as it ends, once its socket has closed.
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      open -= 1;
      if (open <= 0) resolve();
    });
  });
  await pool.end();
  await closed;
}

/** Registers the hooks of a `describe` block for `kind` and gives its databases. */
export function useStoreDatabases(kind: DatabaseKind): StoreDatabases {
  let dirs: ReturnType<typeof tempDir>;
  let cluster: TestPostgres | undefined;
  let opened: Database[] = [];
  let pools: pg.Pool[] = [];
  // Where each opened database lives, for reopen(): a file or a Postgres URL.
  const places = new Map<Database, { where: string; name: string; migrations: Migrations }>();
  let count = 0;

  beforeAll(async () => {
    dirs = tempDir(`atolye-store-${kind}-`);
    if (kind === 'postgres') cluster = await startPostgres();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(opened.map((database) => database.close()));
    await Promise.all(pools.map(endPool));
    opened = [];
    pools = [];
    places.clear();
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

  const openAt = async (where: string, name: string, migrations: Migrations) => {
    const database = cluster
      ? await openPostgres(pool(where), name, migrations)
      : openSqlite(where, migrations);
    opened.push(database);
    places.set(database, { where, name, migrations });
    return database;
  };

  return {
    async open(name, migrations) {
      count += 1;
      const where = cluster
        ? await cluster.createDatabase(`store_${count}`)
        : path.join(dirs.dir, `${name}-${count}.sqlite`);
      return openAt(where, name, migrations);
    },
    postgres: () => cluster,
    pool,
    async reopen(database) {
      const place = places.get(database);
      if (!place) throw new Error('reopen() takes a database that open() gave in this test');
      return openAt(place.where, place.name, place.migrations);
    },
  };
}
