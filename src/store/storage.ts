import { errorMessage } from '../errors.js';
import {
  openPostgres,
  openSqlite,
  postgresPool,
  type Database,
  type DatabaseKind,
  type Migrations,
} from './database.js';
import type pg from 'pg';
import { describePostgresUrl, scrub, unavailable } from './postgres-url.js';

/**
 * Where the orchestrator's stores live, from `storage.url`: "" for SQLite files in the data
 * directory (one machine), a postgres:// URL for one database that every orchestrator shares.
 */

export interface Storage {
  readonly kind: DatabaseKind;
  /** The Postgres pool every store here uses; undefined for SQLite. */
  readonly pool?: pg.Pool;
  /**
   * The store `name` with its schema up to date: the SQLite file `file`, or the shared Postgres
   * database (where `file` plays no part). Fails with STORE_UNAVAILABLE saying what to fix.
   */
  open(name: string, file: string, migrations: Migrations): Promise<Database>;
  /** Closes every store it opened. */
  close(): Promise<void>;
}

export interface StorageOptions {
  /** `storage.url`: "" or a postgres:// / postgresql:// URL. */
  url: string;
  /** Longest wait for a Postgres connection. */
  connectTimeoutMs?: number;
  /** Connections kept at most (`storage.poolSize`). */
  poolSize?: number;
  /** Told when an idle Postgres connection fails (the pool replaces it); the message has no password. */
  onIdleError?: (message: string) => void;
}

export function storageKind(url: string): DatabaseKind {
  return url === '' ? 'sqlite' : 'postgres';
}

export function openStorage(options: StorageOptions): Storage {
  return storageKind(options.url) === 'sqlite' ? sqliteStorage() : postgresStorage(options);
}

function sqliteStorage(): Storage {
  const opened: Database[] = [];
  return {
    kind: 'sqlite',
    open: async (_name, file, migrations) => {
      const database = openSqlite(file, migrations);
      opened.push(database);
      return database;
    },
    close: async () => {
      await Promise.all(opened.splice(0).map((database) => database.close()));
    },
  };
}

function postgresStorage(options: StorageOptions): Storage {
  const target = describePostgresUrl(options.url);
  const pool = postgresPool(options.url, options.connectTimeoutMs, options.poolSize);
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', (error) => {
    options.onIdleError?.(
      `idle Postgres connection to ${target.text} failed: ${scrub(errorMessage(error), target.secrets)}`,
    );
  });
  let ended: Promise<void> | undefined;
  return {
    kind: 'postgres',
    pool,
    open: async (name, _file, migrations) => {
      try {
        return await openPostgres(pool, name, migrations);
      } catch (error) {
        throw unavailable(`store "${name}"`, target, error);
      }
    },
    close: () => (ended ??= pool.end()),
  };
}
