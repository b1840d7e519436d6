import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { RunnableConfig } from '@langchain/core/runnables';
import { BaseCheckpointSaver, type CheckpointTuple } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import pg from 'pg';
import { AtolyeError, errorCodeOf, errorMessage } from '../errors.js';
import { log } from '../logging/index.js';

/**
 * Where LangGraph checkpoints live: `checkpoints.sqlite` in the data directory by default, a
 * Postgres database when `storage.url` is a postgres:// URL (several orchestrators, Kubernetes).
 */

export type CheckpointerKind = 'sqlite' | 'postgres';

export interface CheckpointerOptions {
  /** `storage.url`: "" for SQLite under `dataDir`, or postgres://… / postgresql://… */
  url: string;
  /** Holds `checkpoints.sqlite` when `url` is empty. */
  dataDir: string;
  /** Longest wait for a Postgres connection; pg waits forever by default. */
  connectTimeoutMs?: number;
}

export interface OpenedCheckpointer {
  saver: BaseCheckpointSaver;
  kind: CheckpointerKind;
  close(): Promise<void>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const CONFIG_HINT = 'storage.url (ATOLYE_STORAGE_URL)';

export function checkpointerKind(url: string): CheckpointerKind {
  return url === '' ? 'sqlite' : 'postgres';
}

/** Opens the configured store, creating its tables; failures are STORE_UNAVAILABLE. */
export async function openCheckpointer(options: CheckpointerOptions): Promise<OpenedCheckpointer> {
  return checkpointerKind(options.url) === 'sqlite' ? openSqlite(options) : openPostgres(options);
}

function openSqlite(options: CheckpointerOptions): OpenedCheckpointer {
  const file = path.join(options.dataDir, 'checkpoints.sqlite');
  let saver: SqliteSaver;
  try {
    mkdirSync(options.dataDir, { recursive: true });
    saver = SqliteSaver.fromConnString(file);
  } catch (error) {
    throw new AtolyeError(
      'STORE_UNAVAILABLE',
      `cannot open the SQLite checkpoint file ${file}: ${errorMessage(error)}. Check that storage.dataDir is writable, or set ${CONFIG_HINT} to a Postgres URL`,
      { cause: error },
    );
  }
  return {
    saver,
    kind: 'sqlite',
    close: async () => {
      if (saver.db.open) saver.db.close();
    },
  };
}

async function openPostgres(options: CheckpointerOptions): Promise<OpenedCheckpointer> {
  const target = describePostgresUrl(options.url);
  let pool: pg.Pool | undefined;
  try {
    pool = new pg.Pool({
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
    // An idle connection dropped by the server must not crash the process; the pool replaces it.
    pool.on('error', (error) => {
      log('system').warn(`idle Postgres checkpoint connection to ${target.text} failed`, {
        err: scrub(errorMessage(error), target.secrets),
      });
    });
    const saver = new PostgresSaver(pool);
    await saver.setup();
    const opened = pool;
    let ended: Promise<void> | undefined;
    return {
      saver,
      kind: 'postgres',
      close: () => (ended ??= opened.end()),
    };
  } catch (error) {
    await pool?.end().catch(() => undefined); // the connection error below is the one to report
    throw unavailable(target, error);
  }
}

interface PostgresTarget {
  /** user@host:port/database, never the password. */
  text: string;
  user: string;
  database: string;
  /** Values that must not appear in a message (the password, as written and decoded). */
  secrets: string[];
}

function describePostgresUrl(url: string): PostgresTarget {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new AtolyeError(
      'STORE_UNAVAILABLE',
      `${CONFIG_HINT} must be empty (SQLite files in storage.dataDir) or a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/database`,
    );
  }
  // pg's own parser accepts an empty host before the path ("user@/db?host=/socket"); so do we.
  const parsed = URL.canParse(url)
    ? new URL(url)
    : URL.canParse(url.replace('@/', '@localhost/'))
      ? new URL(url.replace('@/', '@localhost/'))
      : undefined;
  if (!parsed) {
    throw new AtolyeError(
      'STORE_UNAVAILABLE',
      `${CONFIG_HINT} is not a valid URL: expected postgres://user:password@host:5432/database; check the port and percent-encode special characters in the user name and password`,
    );
  }
  const decode = (value: string): string => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value; // not percent-encoded after all: pg uses it as written
    }
  };
  const params = parsed.searchParams;
  const user = params.get('user') ?? (decode(parsed.username) || '(default user)');
  const host = params.get('host') ?? (decode(parsed.hostname) || 'localhost');
  const port = params.get('port') ?? (parsed.port || '5432');
  const database = decode(parsed.pathname.slice(1)) || user;
  const secrets = [parsed.password, decode(parsed.password), params.get('password') ?? ''].filter(
    (secret) => secret.length > 0,
  );
  return { text: `${user}@${host}:${port}/${database}`, user, database, secrets };
}

function unavailable(target: PostgresTarget, error: unknown): AtolyeError {
  const code = errorCodeOf(error);
  const detail = scrub(errorMessage(error), target.secrets);
  let fix: string;
  if (code === 'ECONNREFUSED') {
    fix = `nothing accepts connections there: start the Postgres server, or fix the host and port in ${CONFIG_HINT}`;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    fix = `the host name does not resolve: fix the host in ${CONFIG_HINT}`;
  } else if (code === '28P01' || code === '28000') {
    fix = `the server refused user "${target.user}": check the user name and password in ${CONFIG_HINT}, and the server's pg_hba.conf`;
  } else if (code === '3D000') {
    fix = `database "${target.database}" does not exist: create it (createdb ${target.database}) or fix the database name in ${CONFIG_HINT}`;
  } else if (/timeout/i.test(detail)) {
    fix = `the server did not answer in time: check that it runs and that no firewall drops the connection, or fix ${CONFIG_HINT}`;
  } else {
    fix = `check that the server runs and accepts this user, or fix ${CONFIG_HINT}`;
  }
  return new AtolyeError(
    'STORE_UNAVAILABLE',
    `cannot open the Postgres checkpoint store ${target.text} (${detail}): ${fix}`,
    // The pg error is not kept as the cause: some carry the connection settings.
    { retryable: true },
  );
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join('****'), text);
}

type Saver = BaseCheckpointSaver;

/**
 * A saver usable at once whose store opens on first use: buildAgentGraph takes its checkpointer
 * at construction, while opening Postgres is async. An open that failed is tried again on the next
 * call, so a database that comes up after the orchestrator is picked up without a restart.
 */
export class DeferredCheckpointSaver extends BaseCheckpointSaver {
  readonly kind: CheckpointerKind;
  readonly #options: CheckpointerOptions;
  #opening: Promise<OpenedCheckpointer> | undefined;
  #closed = false;

  constructor(options: CheckpointerOptions) {
    super();
    this.#options = options;
    this.kind = checkpointerKind(options.url);
  }

  /** Opens the store now, e.g. to fail fast at start-up; calls do it on their own otherwise. */
  async ready(): Promise<void> {
    await this.#open();
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    return (await this.#open()).saver.getTuple(config);
  }

  async *list(...args: Parameters<Saver['list']>): AsyncGenerator<CheckpointTuple> {
    yield* (await this.#open()).saver.list(...args);
  }

  async put(...args: Parameters<Saver['put']>): Promise<RunnableConfig> {
    return (await this.#open()).saver.put(...args);
  }

  async putWrites(...args: Parameters<Saver['putWrites']>): Promise<void> {
    return (await this.#open()).saver.putWrites(...args);
  }

  async deleteThread(threadId: string): Promise<void> {
    return (await this.#open()).saver.deleteThread(threadId);
  }

  override async getDeltaChannelHistory(
    ...args: Parameters<Saver['getDeltaChannelHistory']>
  ): ReturnType<Saver['getDeltaChannelHistory']> {
    return (await this.#open()).saver.getDeltaChannelHistory(...args);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    if (!opening) return;
    const opened = await opening.catch(() => undefined); // never opened: nothing to close
    await opened?.close();
  }

  #open(): Promise<OpenedCheckpointer> {
    if (this.#closed) {
      return Promise.reject(new AtolyeError('STORE_CLOSED', 'the checkpoint store is closed'));
    }
    if (!this.#opening) {
      const attempt: Promise<OpenedCheckpointer> = openCheckpointer(this.#options).catch(
        (error: unknown) => {
          if (this.#opening === attempt) this.#opening = undefined;
          throw error;
        },
      );
      this.#opening = attempt;
    }
    return this.#opening;
  }
}
