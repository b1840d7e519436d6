import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { validator } from 'hono/validator';
import { loadConfig } from '../../../src/config/index.js';
import { ERROR_CODES, isErrorCode } from '../../../src/error-codes/index.js';
import { AtolyeError, relayedCode } from '../../../src/errors.js';
import { createLogging, setErrorReporter, type Logging } from '../../../src/logging/index.js';
import { answerError } from '../../../src/orchestrator/api/error-handler.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The run API's error handler over a real socket, with real logging and the error reporter Sentry
 * plugs into: every code of the catalogue thrown in a route is answered with its status, and only
 * a 5xx is reported.
 */

interface ErrorBody {
  error: { code: string; message: string; retryable: boolean };
}

const tmp = tempDir('atolye-api-errors-');
const logDir = path.join(tmp.dir, 'logs');
const reported: { msg: string; code: unknown }[] = [];
let logging: Logging;
let server: ServerType;
let url: string;

beforeAll(async () => {
  setErrorReporter((record, error) => {
    reported.push({ msg: record.msg, code: (error as { code?: unknown } | undefined)?.code });
    return undefined;
  });
  const config = loadConfig({ env: 'testing', overrides: { 'logging.dir': logDir } }).config;
  logging = createLogging(config, { service: 'orchestrator' });
  const app = new Hono();
  app.get('/throw/:code', (c) => {
    const code = c.req.param('code');
    if (!isErrorCode(code)) throw new Error(`not a code: ${code}`);
    throw new AtolyeError(code, `thrown as ${code}`);
  });
  app.get('/retryable', () => {
    throw new AtolyeError('STORE_UNAVAILABLE', 'the store restarts', { retryable: true });
  });
  app.get('/relayed', () => {
    throw new AtolyeError(relayedCode('PLAN_REFUSED'), 'a function refused');
  });
  app.get('/plain', () => {
    throw new Error('a bug');
  });
  app.get('/hono-fault', () => {
    throw new HTTPException(500, { message: 'Hono failed' });
  });
  // The validator the OpenAPI routes use: a body that is not JSON is its HTTPException.
  app.post(
    '/json',
    validator('json', (value) => value),
    (c) => c.json(c.req.valid('json')),
  );
  // A store that cannot keep a text, as Postgres refuses a NUL character (SQLSTATE 22021, or
  // 22P05 for `\u0000` cast to jsonb), whatever the request held.
  const refusedText = (code: string) =>
    Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code });
  app.get('/store/:id', () => {
    throw refusedText('22021');
  });
  app.post(
    '/store/:id',
    validator('json', (value) => value),
    () => {
      throw new AtolyeError('STORE_UNAVAILABLE', 'the search failed', {
        cause: refusedText('22P05'),
      });
    },
  );
  app.onError(answerError(logging.log('user_interactions')));
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  setErrorReporter(undefined);
  await new Promise((resolve) => server.close(resolve));
  await logging.close();
  tmp.cleanup();
});

beforeEach(() => {
  reported.length = 0;
});

async function get(route: string): Promise<{ status: number; body: ErrorBody }> {
  const response = await fetch(`${url}${route}`);
  return { status: response.status, body: (await response.json()) as ErrorBody };
}

test('an AtolyeError of every code is answered with its catalogue status; only 5xx are reported', async () => {
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    const { status, body } = await get(`/throw/${code}`);
    expect({ code, status }).toEqual({ code, status: entry.status });
    expect(body.error).toEqual({ code, message: `thrown as ${code}`, retryable: entry.retryable });
  }
  const serverFaults = Object.entries(ERROR_CODES)
    .filter(([, entry]) => entry.status >= 500)
    .map(([code]) => code);
  expect(reported.map((record) => record.code)).toEqual(serverFaults);
  expect(reported.every((record) => /^request failed: thrown as /.test(record.msg))).toBe(true);
});

test('a throw that knows better keeps its own retryable', async () => {
  const { status, body } = await get('/retryable');
  expect(status).toBe(503);
  expect(body.error).toEqual({
    code: 'STORE_UNAVAILABLE',
    message: 'the store restarts',
    retryable: true,
  });
});

test('an error without a catalogue code is a 500 INTERNAL, reported with its stack', async () => {
  for (const [route, message, code] of [
    ['/plain', 'a bug', undefined],
    ['/relayed', 'a function refused', 'PLAN_REFUSED'],
    // Hono's own HTTPException other than a 400 or 415: not a refusal the API expects.
    ['/hono-fault', 'Hono failed', undefined],
  ] as const) {
    const { status, body } = await get(route);
    expect(status).toBe(500);
    expect(body.error).toEqual({
      code: 'INTERNAL',
      message: `the request failed: ${message}`,
      retryable: true,
    });
    expect(reported.at(-1)).toEqual({ msg: `request failed: ${message}`, code });
  }
  expect(reported).toHaveLength(3);
});

test("Hono's own refusal of a body that is not JSON is a 400 BODY_INVALID_JSON, not reported", async () => {
  const response = await fetch(`${url}/json`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{not json',
  });
  expect(response.status).toBe(400);
  expect(((await response.json()) as ErrorBody).error).toEqual({
    code: 'BODY_INVALID_JSON',
    message:
      'Malformed JSON in request body: send the body as JSON with content-type application/json',
    retryable: false,
  });
  expect(reported).toEqual([]);
});

test('a NUL character the store refuses is a 400 naming where the request holds it, not reported', async () => {
  const refusals = [
    [await get('/store/a%00b'), 'the path parameter id'],
    [await get('/store/x?name=%00'), 'the query parameter "name"'],
  ] as const;
  const posted = await fetch(`${url}/store/x`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metadata: { a: 'x\u0000' } }),
  });
  const body = [
    { status: posted.status, body: (await posted.json()) as ErrorBody },
    'the body field metadata.a',
  ] as const;
  for (const [answer, where] of [...refusals, body]) {
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({
      code: 'INVALID_REQUEST',
      message: `${where} holds a NUL character (\\u0000), which the store cannot keep: leave it out`,
      retryable: false,
    });
  }
  expect(reported).toEqual([]);
});

test('a text the store refuses that the request does not hold (a stored row) stays a 500', async () => {
  const { status, body } = await get('/store/plain');
  expect(status).toBe(500);
  expect(body.error.code).toBe('INTERNAL');
  expect(reported).toHaveLength(1);
});

test('the errors channel holds the reported lines and no refusal', async () => {
  await logging.close();
  const lines = readFileSync(path.join(logDir, 'errors.log'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { msg: string; err?: { code?: string } });
  const codes = new Set(lines.map((line) => line.err?.code).filter((code) => code !== undefined));
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    expect({ code, inErrors: codes.has(code) }).toEqual({ code, inErrors: entry.status >= 500 });
  }
});
