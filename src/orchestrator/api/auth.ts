import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Migrations } from '../../store/database.js';
import type { ChannelLogger } from '../../logging/index.js';
import { errorResponse } from './respond.js';
import type { ApiEnv, KeyVerifier } from './types.js';

export interface AuthLimits {
  /** Requests one key may make a minute (`api.rateLimitPerMinute`). */
  perMinute: number;
  /** Failed authentications one client address may cause a minute (`api.authFailuresPerMinute`). */
  failuresPerMinute: number;
  /**
   * The database the orchestrators share: the counts are kept there (RATE_LIMIT_MIGRATIONS makes
   * the table), so a key's minute is one minute across every orchestrator. In memory otherwise.
   */
  pool?: pg.Pool;
}

/** The table of the shared counts (rate-limiter-flexible's own layout). */
export const RATE_LIMIT_MIGRATIONS: Migrations = {
  sqlite: [],
  postgres: [
    `CREATE TABLE atolye_rate_limits (
       key VARCHAR(255) PRIMARY KEY,
       points INTEGER NOT NULL DEFAULT 0,
       expire BIGINT
     );`,
  ],
};

/**
 * `points` a minute per key: in the shared database when there is one, with an in-memory count
 * standing in while it does not answer (a database outage is no reason to refuse requests).
 */
function limiter(points: number, prefix: string, pool: pg.Pool | undefined): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix: prefix });
  if (!pool) return memory;
  return new RateLimiterPostgres({
    storeClient: pool,
    tableName: 'atolye_rate_limits',
    tableCreated: true,
    keyPrefix: prefix,
    points,
    duration: 60,
    insuranceLimiter: memory,
  });
}

/**
 * API keys as `Authorization: Bearer KEY` or `x-api-key: KEY` (the header the LangGraph SDK
 * sends); each key gets `perMinute` requests a minute, then 429 with `Retry-After`.
 *
 * A missing or bad key counts against the client's address: past `failuresPerMinute` a refusal
 * is a 429 with `Retry-After`, and only the first refusal past the limit is logged in that
 * window, so a flood of bad keys costs a few log lines, not one each. A live key is verified
 * before the address is looked at: an address shared by many clients (a NAT, a reverse proxy) is
 * never locked out by someone else's bad keys.
 */
export function requireApiKey(
  keys: KeyVerifier,
  limits: AuthLimits,
  logger: ChannelLogger,
): MiddlewareHandler<ApiEnv> {
  const perMinute = Math.max(limits.perMinute, 1);
  const failuresPerMinute = Math.max(limits.failuresPerMinute, 1);
  const requests = limiter(perMinute, 'requests', limits.pool);
  const failures = limiter(failuresPerMinute, 'auth-failures', limits.pool);

  async function refuse(
    c: Context<ApiEnv>,
    code: 'API_KEY_MISSING' | 'API_KEY_INVALID',
    message: string,
  ): Promise<Response> {
    const address = clientAddress(c);
    try {
      await failures.consume(address);
      return errorResponse(c, code, message);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const seconds = retryAfter(error);
      // The request line of every refusal in the rest of the window is left out; this one says so.
      c.set('unlogged', true);
      if (error.consumedPoints === failuresPerMinute + 1) {
        logger.warn(`failed authentication from ${address} is rate limited`, {
          address,
          limit: failuresPerMinute,
          retryAfterS: seconds,
          method: c.req.method,
          path: c.req.path,
          note: 'further refusals of this address are not logged until the window ends',
        });
      }
      c.header('Retry-After', String(seconds));
      return errorResponse(
        c,
        'AUTH_RATE_LIMITED',
        `more than ${failuresPerMinute} failed authentications this minute from ${address} (api.authFailuresPerMinute); retry in ${seconds} s with a valid key`,
      );
    }
  }

  return async (c, next) => {
    const presented = keyOf(c.req.header('authorization'), c.req.header('x-api-key'));
    if (presented === undefined) {
      return refuse(
        c,
        'API_KEY_MISSING',
        'send an API key as "Authorization: Bearer KEY" or "x-api-key: KEY" (create one with `atolye keys create --name NAME`)',
      );
    }
    const key = await keys.verify(presented);
    if (!key) {
      return refuse(c, 'API_KEY_INVALID', 'the API key is unknown or revoked');
    }
    c.set('keyName', key.name);
    c.set('caller', key);
    try {
      await requests.consume(key.name);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const seconds = retryAfter(error);
      c.header('Retry-After', String(seconds));
      return errorResponse(
        c,
        'RATE_LIMITED',
        `key "${key.name}" made more than ${perMinute} requests this minute (api.rateLimitPerMinute); retry in ${seconds} s`,
      );
    }
    return next();
  };
}

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * The peer address of the connection. Forwarded headers are not read: anyone can send them, and
 * trusting them would let a client pick the address its failures count against.
 */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // A request handed to app.fetch in-process (tests, the dashboard's own /readyz) has no socket.
    return 'in-process';
  }
}

function keyOf(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  const key = bearer ?? apiKey?.trim();
  return key === undefined || key === '' ? undefined : key;
}
