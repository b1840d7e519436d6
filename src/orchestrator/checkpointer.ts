import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { RunnableConfig } from '@langchain/core/runnables';
import { BaseCheckpointSaver, type CheckpointTuple } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import pg from 'pg';
import { AtolyeError, errorMessage } from '../errors.js';
import { CONFIG_HINT, describePostgresUrl, scrub, unavailable } from '../store/postgres-url.js';

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
  /** Connections kept at most (`storage.poolSize`; pg's default is 10). */
  poolSize?: number;
  /** Told when an idle Postgres connection fails (the pool replaces it); the message has no password. */
  onIdleError?: (message: string) => void;
}

export interface OpenedCheckpointer {
  saver: BaseCheckpointSaver;
  kind: CheckpointerKind;
  close(): Promise<void>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

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
      max: options.poolSize,
    });
    // An idle connection dropped by the server must not crash the process; the pool replaces it.
    pool.on('error', (error) => {
      options.onIdleError?.(
        `idle Postgres checkpoint connection to ${target.text} failed: ${scrub(errorMessage(error), target.secrets)}`,
      );
    });
    const saver = new PostgresSaver(pool);
    await setupAlone(options, saver);
    const opened = pool;
    let ended: Promise<void> | undefined;
    return {
      saver,
      kind: 'postgres',
      close: () => (ended ??= opened.end()),
    };
  } catch (error) {
    await pool?.end().catch(() => undefined); // the connection error below is the one to report
    throw unavailable('checkpoint store', target, error);
  }
}

/**
 * LangGraph's setup() of its tables is not safe to run twice at once: two orchestrators starting
 * together on a fresh database race on its migrations table. It runs under a session advisory
 * lock, one process after the other; the second finds the work done.
 */
async function setupAlone(options: CheckpointerOptions, saver: PostgresSaver): Promise<void> {
  // A connection of its own: one taken from the pool could leave setup() none to work with.
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext('atolye_checkpoints'))`);
    await saver.setup(); // the lock goes with the session when it ends
  } finally {
    await client.end().catch(() => undefined);
  }
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
