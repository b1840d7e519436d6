import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { answerError } from '../../../src/orchestrator/api/error-handler.js';

// A database that cannot take a request now (Postgres full up, restarting, unreachable) is a 503
// the client may retry, not a 500; anything else without a code of ours stays a 500.

interface Seen {
  /** What the handler logged at error level. */
  lines: string[];
  /** Whether it told the access log that the failure is logged already. */
  failureLogged: unknown;
}

function appThrowing(error: unknown, seen: Seen = { lines: [], failureLogged: undefined }): Hono {
  const logger = {
    error: (msg: string) => void seen.lines.push(msg),
    warn: () => undefined,
    info: () => undefined,
    debug: () => undefined,
  };
  const app = new Hono<{ Variables: { failureLogged: boolean } }>();
  app.use(async (c, next) => {
    await next();
    seen.failureLogged = c.get('failureLogged');
  });
  const fail = () => {
    throw error;
  };
  app.get('/x', fail);
  app.post('/x', fail);
  app.get('/t/:thread_id', fail);
  app.onError(answerError(logger));
  return app as unknown as Hono;
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

test.each([
  ['53300', 'sorry, too many clients already'],
  ['57P03', 'the database system is starting up'],
  ['08006', 'connection failure'],
  ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
])('a store error %s is a retryable 503 STORE_UNAVAILABLE with Retry-After', async (code, text) => {
  const cause = Object.assign(new Error(text), { code });
  const response = await appThrowing(new Error('query failed', { cause })).request('/x');
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('1');
  const body = (await response.json()) as { error: { code: string; retryable: boolean } };
  expect(body.error).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
});

test('another error without a code of ours is a 500 INTERNAL', async () => {
  const response = await appThrowing(Object.assign(new Error('syntax'), { code: '42601' })).request(
    '/x',
  );
  expect(response.status).toBe(500);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INTERNAL');
});

test('a 5xx is logged once at error level and marked logged for the access line', async () => {
  const seen: Seen = { lines: [], failureLogged: undefined };
  const response = await appThrowing(new Error('disk on fire'), seen).request('/x');
  expect(response.status).toBe(500);
  expect(await errorOf(response)).toMatchObject({
    code: 'INTERNAL',
    message: 'the request failed: disk on fire',
  });
  expect(seen).toEqual({ lines: ['request failed: disk on fire'], failureLogged: true });
});

test('a refusal is not logged as a failure', async () => {
  const seen: Seen = { lines: [], failureLogged: undefined };
  const response = await appThrowing(
    new HTTPException(415, { message: 'send JSON' }),
    seen,
  ).request('/x');
  expect(response.status).toBe(415);
  expect(await errorOf(response)).toMatchObject({
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'send JSON',
  });
  expect(seen).toEqual({ lines: [], failureLogged: undefined });
});

test('a 503 STORE_UNAVAILABLE names what the store answered and what an operator can do', async () => {
  const cause = Object.assign(new Error('sorry, too many clients already'), { code: '53300' });
  const response = await appThrowing(new Error('query failed', { cause })).request('/x');
  expect((await errorOf(response)).message).toBe(
    "the store did not answer this request (query failed); retry shortly — an operator raises the database's max_connections, or lowers storage.poolSize times the number of orchestrators",
  );
});

test('a store code is looked for through at most five errors', async () => {
  const chain = (levels: number): Error => {
    let error: Error = Object.assign(new Error('connect'), { code: 'ECONNRESET' });
    for (let i = 1; i < levels; i += 1) error = new Error(`wrapped ${i}`, { cause: error });
    return error;
  };
  expect((await appThrowing(chain(5)).request('/x')).status).toBe(503);
  expect((await appThrowing(chain(6)).request('/x')).status).toBe(500);
});

describe('a text the store cannot keep (a NUL character)', () => {
  const refused = (): Error => Object.assign(new Error('invalid byte sequence'), { code: '22021' });
  const nulAnswer = async (response: Response): Promise<string> => {
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('INVALID_REQUEST');
    return error.message.replace(
      ' holds a NUL character (\\u0000), which the store cannot keep: leave it out',
      '',
    );
  };
  const post = (body: string) =>
    appThrowing(refused()).request('/x', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  test.each([
    ['/t/a%00b', 'the path parameter thread_id'],
    ['/x?a%00=1', 'the query parameter "a\\u0000"'],
    ['/x?q=1&q=a%00', 'the query parameter "q"'],
  ])('%s is refused as %s', async (url, where) => {
    expect(await nulAnswer(await appThrowing(refused()).request(url))).toBe(where);
  });

  test.each([
    [{ a: { b: 'x\u0000' } }, 'the body field a.b'],
    [{ a: [{ ok: 'fine' }, { 'k\u0000': 1 }] }, 'the body field "a.1.k\\u0000"'],
    ['x\u0000', 'the body field (the whole body)'],
  ])('%j is refused as %s', async (body, where) => {
    expect(await nulAnswer(await post(JSON.stringify(body)))).toBe(where);
  });

  test('is a 500 INTERNAL when the request holds none: the text came from the store', async () => {
    for (const response of [
      await post(JSON.stringify({ a: 'clean', list: [1, { b: 'also clean' }] })),
      await post('not json \u0000'),
      await appThrowing(refused()).request('/x?q=clean'),
    ]) {
      expect(response.status).toBe(500);
      expect(await errorOf(response)).toMatchObject({
        code: 'INTERNAL',
        message: 'the request failed: invalid byte sequence',
      });
    }
  });
});
