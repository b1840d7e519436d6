import type { MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { ApiEnv } from './app.js';
import { errorResponse } from './app.js';

/** What the API needs of the key store: who a presented key belongs to, if anyone. */
export interface KeyVerifier {
  verify(key: string): { name: string } | undefined;
}

/**
 * API keys as `Authorization: Bearer KEY` or `x-api-key: KEY` (the header the LangGraph SDK
 * sends); each key gets `perMinute` requests a minute, then 429 with `Retry-After`.
 */
export function requireApiKey(keys: KeyVerifier, perMinute: number): MiddlewareHandler<ApiEnv> {
  const limiter = new RateLimiterMemory({ points: Math.max(perMinute, 1), duration: 60 });
  return async (c, next) => {
    const presented = keyOf(c.req.header('authorization'), c.req.header('x-api-key'));
    if (presented === undefined) {
      return errorResponse(
        c,
        401,
        'API_KEY_MISSING',
        'send an API key as "Authorization: Bearer KEY" or "x-api-key: KEY" (create one with `atolye keys create --name NAME`)',
      );
    }
    const key = keys.verify(presented);
    if (!key) {
      return errorResponse(c, 401, 'API_KEY_INVALID', 'the API key is unknown or revoked');
    }
    c.set('keyName', key.name);
    try {
      await limiter.consume(key.name);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      c.header('Retry-After', String(seconds));
      return errorResponse(
        c,
        429,
        'RATE_LIMITED',
        `key "${key.name}" made more than ${perMinute} requests this minute (api.rateLimitPerMinute); retry in ${seconds} s`,
        true,
      );
    }
    return next();
  };
}

function keyOf(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  const key = bearer ?? apiKey?.trim();
  return key === undefined || key === '' ? undefined : key;
}
