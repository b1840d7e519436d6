import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isErrorCode } from '../../error-codes/index.js';
import { errorMessage, isAtolyeError } from '../../errors.js';
import type { ChannelLogger } from '../../logging/index.js';
import { errorResponse } from './respond.js';

/**
 * The run API's answer to an error a route threw, by the catalogue: an error whose code it holds
 * gets that code's status; Hono's own refusals are a 400 BODY_INVALID_JSON (its validator's
 * "Malformed JSON in request body", the only 400 it throws here) or a 415; a text the store cannot
 * keep (Postgres refuses a NUL character) is a 400 INVALID_REQUEST naming where the request holds
 * it; anything else, another HTTPException included, is a 500 INTERNAL. A 5xx is also logged at
 * error level with the error and its stack, for the `errors` channel and Sentry; a refusal is only
 * in the request's line.
 */
export function answerError(interactions: ChannelLogger): ErrorHandler {
  return async (error, c) => {
    if (error instanceof HTTPException && error.status === 400) {
      return errorResponse(
        c,
        'BODY_INVALID_JSON',
        `${error.message}: send the body as JSON with content-type application/json`,
      );
    }
    if (error instanceof HTTPException && error.status === 415) {
      return errorResponse(c, 'UNSUPPORTED_MEDIA_TYPE', error.message);
    }
    const nul = refusedText(error) ? await nulInRequest(c) : undefined;
    if (nul) {
      return errorResponse(
        c,
        'INVALID_REQUEST',
        `${nul} holds a NUL character (\\u0000), which the store cannot keep: leave it out`,
      );
    }
    if (storeUnreachable(error)) {
      // The database is full up or gone for a moment: the request may well pass a little later.
      c.header('Retry-After', '1');
      return errorResponse(
        c,
        'STORE_UNAVAILABLE',
        `the store did not answer this request (${errorMessage(error)}); retry shortly — an operator raises the database's max_connections, or lowers storage.poolSize times the number of orchestrators`,
        true,
      );
    }
    const answer =
      isAtolyeError(error) && isErrorCode(error.code)
        ? errorResponse(c, error.code, error.message, error.retryable)
        : errorResponse(c, 'INTERNAL', `the request failed: ${errorMessage(error)}`);
    if (answer.status >= 500) {
      interactions.error(`request failed: ${errorMessage(error)}`, {
        err: error,
        route: c.req.routePath,
      });
      c.set('failureLogged', true);
    }
    return answer;
  };
}

/**
 * Postgres's refusals of a text value: 22021 (a NUL byte, "invalid byte sequence for encoding
 * UTF8: 0x00") and 22P05 (`\u0000` in JSON cast to jsonb, "unsupported Unicode escape sequence").
 * SQLite keeps both.
 */
const REFUSED_TEXT = new Set(['22021', '22P05']);

/**
 * A database that cannot take the request now: Postgres's 53300 (too many connections), 57P01-03
 * (shutting down, cannot connect now), 08xxx (connection failures), and a refused or dropped
 * socket to it.
 */
const UNREACHABLE = /^(53300|57P0[123]|08\d{3}|ECONNREFUSED|ECONNRESET|ETIMEDOUT)$/;

function refusedText(error: unknown): boolean {
  return codeIn(error, (code) => REFUSED_TEXT.has(code));
}

function storeUnreachable(error: unknown): boolean {
  return codeIn(error, (code) => UNREACHABLE.test(code));
}

function codeIn(error: unknown, matches: (code: string) => boolean): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && matches(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Where the request holds a NUL character: a path parameter, a query parameter or a field of its
 * JSON body; undefined when it holds none (the text came from the store, and the fault is not
 * the client's).
 */
async function nulInRequest(c: Context): Promise<string | undefined> {
  for (const [name, value] of Object.entries(c.req.param() as Record<string, string>)) {
    if (value.includes('\0')) return `the path parameter ${name}`;
  }
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (name.includes('\0') || values.some((value) => value.includes('\0'))) {
      return `the query parameter ${JSON.stringify(name)}`;
    }
  }
  let body: unknown;
  try {
    // Parsed already by the route's validator (Hono keeps it); an unread body is read here.
    body = await c.req.json();
  } catch {
    return undefined;
  }
  const field = nulField(body);
  return field === undefined ? undefined : `the body field ${field || '(the whole body)'}`;
}

/** The dotted path of the first string (or key) in `value` holding a NUL character. */
function nulField(value: unknown): string | undefined {
  // A stack, not recursion: a body may nest deeper than the stack allows.
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [item, where] = pending.pop() as [unknown, string];
    if (typeof item === 'string') {
      if (item.includes('\0')) return where;
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        const path = where === '' ? key : `${where}.${key}`;
        if (key.includes('\0')) return JSON.stringify(path);
        pending.push([child, path]);
      }
    }
  }
  return undefined;
}
