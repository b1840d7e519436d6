import { errorMessage } from '../../errors.js';
import {
  openPostgres,
  postgresPool,
  sql,
  type Database,
  type Migrations,
} from '../../store/database.js';
import { describePostgresUrl, scrub, unavailable } from '../../store/postgres-url.js';
import type { SharedReplies, SharedReply } from './idempotency.js';
import type { HostLogger } from './log.js';

/**
 * Completed replies in the Postgres database the orchestrators use (`storage.url`), so that a
 * step retried on another worker host gets the reply of the host that ran it. The database is a
 * help, never a condition: when it does not answer, each host keeps to its own memory and says
 * so once in its log, and tries the database again a few seconds later.
 */

export const HOST_REPLY_MIGRATIONS: Migrations = {
  // Hosts on one machine (SQLite) are one host: nothing to share.
  sqlite: [],
  postgres: [
    `CREATE TABLE host_replies (
       key TEXT PRIMARY KEY,
       fingerprint TEXT NOT NULL,
       status INTEGER NOT NULL,
       body TEXT NOT NULL,
       headers JSONB NOT NULL,
       expires_at TIMESTAMPTZ NOT NULL
     );
     CREATE INDEX host_replies_expires_at ON host_replies (expires_at);`,
  ],
};

export interface PostgresRepliesOptions {
  /** `storage.url`: a postgres:// or postgresql:// URL. */
  url: string;
  logger: HostLogger;
  /** Longest wait for a connection, a lookup or a write; then the call goes on from memory. */
  timeoutMs?: number;
  /** After a failure, how long the host keeps to its memory before trying the database again. */
  pauseMs?: number;
  /** How often expired rows are deleted (by the first write after this long). */
  sweepMs?: number;
}

export interface PostgresReplies extends SharedReplies {
  /** Waits for work under way and closes the connections; idempotent. */
  close(): Promise<void>;
}

interface Row {
  fingerprint: string;
  status: number;
  body: string;
  headers: Record<string, string>;
  expires_at: Date;
}

export function postgresReplies(options: PostgresRepliesOptions): PostgresReplies {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const pauseMs = options.pauseMs ?? 5_000;
  const sweepMs = options.sweepMs ?? 60_000;
  const target = describePostgresUrl(options.url);
  const pool = postgresPool(options.url, timeoutMs);
  // An idle connection dropped by the server must not end the host; the pool replaces it.
  pool.on('error', (error) => {
    logger.system.warn(
      `idle Postgres connection of the shared idempotency store ${target.text} failed: ` +
        scrub(errorMessage(error), target.secrets),
    );
  });

  let opened: Promise<Database> | undefined;
  const database = (): Promise<Database> =>
    (opened ??= openPostgres(pool, 'host-replies', HOST_REPLY_MIGRATIONS).catch(
      (error: unknown) => {
        opened = undefined; // opened again on the next try
        throw error;
      },
    ));

  let pausedUntil = 0;
  let down = false;
  let lastSweep = 0;
  const underWay = new Set<Promise<unknown>>();
  let ended: Promise<void> | undefined;

  /** `work` on the database, or `fallback` when it fails, is slow, or failed a moment ago. */
  async function attempt<T>(what: string, work: (db: Database) => Promise<T>, fallback: T) {
    if (ended !== undefined || Date.now() < pausedUntil) return fallback;
    try {
      const result = await withTimeout(
        database().then(work),
        timeoutMs,
        `timeout: no answer within ${timeoutMs} ms`,
      );
      if (down) {
        down = false;
        logger.system.info(
          `the shared idempotency store ${target.text} answers again: replies are shared with the other hosts`,
        );
      }
      return result;
    } catch (error) {
      pausedUntil = Date.now() + pauseMs;
      const message = unavailable(`store "host-replies" (${what})`, target, error).message;
      if (!down) {
        down = true;
        logger.system.warn(
          `${message}. Until it answers, idempotent replies stay in this host's memory: a ` +
            `retry that reaches another host runs the call again (tried again every ${pauseMs / 1000} s)`,
        );
      } else {
        logger.system.debug(message);
      }
      return fallback;
    }
  }

  /** Runs `work` without waiting for it; close() waits. */
  function inBackground(work: Promise<unknown>): void {
    underWay.add(work);
    void work.finally(() => underWay.delete(work));
  }

  function sweep(now: number): void {
    if (now - lastSweep < sweepMs) return;
    lastSweep = now;
    inBackground(
      attempt(
        'deleting expired replies',
        (db) => db.run(sql`DELETE FROM host_replies WHERE expires_at <= ${new Date(now)}`),
        0,
      ),
    );
  }

  // Opened (and migrated) now, so that a database that does not answer shows in the log at start.
  inBackground(attempt('opening', () => Promise.resolve(undefined), undefined));

  return {
    find: (key, now) =>
      attempt(
        'looking up a reply',
        async (db): Promise<SharedReply | undefined> => {
          const row = await db.first<Row>(
            sql`SELECT fingerprint, status, body, headers, expires_at FROM host_replies
                WHERE key = ${key} AND expires_at > ${new Date(now)}`,
          );
          if (row === undefined) return undefined;
          return {
            fingerprint: row.fingerprint,
            reply: { status: row.status, body: row.body, headers: row.headers },
            expiresAt: row.expires_at.getTime(),
          };
        },
        undefined,
      ),
    keep: async (key, { fingerprint, reply, expiresAt }, now) => {
      await attempt(
        'keeping a reply',
        (db) =>
          db.run(
            sql`INSERT INTO host_replies (key, fingerprint, status, body, headers, expires_at)
                VALUES (${key}, ${fingerprint}, ${reply.status}, ${reply.body},
                        CAST(${JSON.stringify(reply.headers)} AS jsonb), ${new Date(expiresAt)})
                ON CONFLICT (key) DO UPDATE SET
                  fingerprint = excluded.fingerprint, status = excluded.status,
                  body = excluded.body, headers = excluded.headers,
                  expires_at = excluded.expires_at
                WHERE host_replies.expires_at <= ${new Date(now)}`,
          ),
        0,
      );
      sweep(now);
    },
    close: () =>
      (ended ??= (async () => {
        await Promise.all(underWay);
        await pool.end();
      })()),
  };
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
