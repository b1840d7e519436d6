import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { startProcess, type WatchedProcess } from './processes.js';

/**
 * A throwaway PostgreSQL cluster for one test file: initdb in a temp dir, the server on a free
 * loopback port with its unix socket in the same dir, stopped and deleted by stop(). As root it
 * runs as `postgres` (or `nobody`), since the server refuses to run as root.
 */
export interface TestPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** postgres://user:password@127.0.0.1:port/database */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one statement as the superuser on `database`. */
  query<Row extends pg.QueryResultRow>(
    database: string,
    text: string,
    values?: unknown[],
  ): Promise<Row[]>;
  stop(): Promise<void>;
}

const USER = 'atolye';
const READY_TIMEOUT_MS = 30_000;

export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  const owner = serverOwner();
  const root = mkdtempSync(path.join(os.tmpdir(), 'atolye-pg-'));
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'socket');
  mkdirSync(socketDir);
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const passwordFile = path.join(root, 'password');
  writeFileSync(passwordFile, `${password}\n`);
  if (owner) {
    for (const entry of [root, socketDir, passwordFile]) chownSync(entry, owner.uid, owner.gid);
  }
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };

  let server: WatchedProcess | undefined;
  try {
    const init = spawnSync(
      path.join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        USER,
        `--pwfile=${passwordFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '--encoding=UTF8',
        '--no-sync',
      ],
      { ...asOwner, env, cwd: root, encoding: 'utf8' },
    );
    if (init.status !== 0) {
      throw new Error(
        `initdb failed (${init.status ?? init.signal}):\n${init.stderr}${init.stdout}`,
      );
    }
    const port = await freePort();
    server = startProcess(
      path.join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${socketDir}`,
        // Throwaway data: durability only costs time.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=30',
        '-c',
        'shared_buffers=16MB',
      ],
      { ...asOwner, env, cwd: root },
    );
    await server.waitFor(
      /database system is ready to accept connections/,
      'the test Postgres server to accept connections',
      { timeoutMs: READY_TIMEOUT_MS },
    );
    const running = server;
    const base = `postgres://${USER}:${password}@127.0.0.1:${port}`;

    const query = async <Row extends pg.QueryResultRow>(
      database: string,
      text: string,
      values: unknown[] = [],
    ): Promise<Row[]> => {
      const client = new pg.Client({ connectionString: `${base}/${database}` });
      await client.connect();
      try {
        return (await client.query<Row>(text, values)).rows;
      } finally {
        await client.end();
      }
    };

    let stopped: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      user: USER,
      password,
      url: (database = 'postgres') => `${base}/${database}`,
      createDatabase: async (name) => {
        await query('postgres', `CREATE DATABASE "${name}"`);
        return `${base}/${name}`;
      },
      query,
      stop: () =>
        (stopped ??= (async () => {
          await stopServer(running);
          rmSync(root, { recursive: true, force: true });
        })()),
    };
  } catch (error) {
    if (server) await stopServer(server);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

/** The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres. */
function findPostgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const bin = path.join(base, version, 'bin');
    if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'postgres'))) return bin;
  }
  throw new Error(
    `PostgreSQL server binaries (initdb, postgres) not found under ${base}/<version>/bin: ` +
      'install them with `apt-get install postgresql` (Debian/Ubuntu) to run the Postgres tests',
  );
}

/** Who runs the server: the current user, or `postgres`/`nobody` when that is root. */
function serverOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) {
      return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    }
  }
  throw new Error('running as root, but neither a `postgres` nor a `nobody` user exists');
}

/** Fast shutdown (SIGINT), then SIGKILL if it lingers. */
function stopServer(server: WatchedProcess): Promise<void> {
  return server.stop({ signal: 'SIGINT' });
}
