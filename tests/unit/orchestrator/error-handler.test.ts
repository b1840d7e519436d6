import { Hono } from 'hono';
import { answerError } from '../../../src/orchestrator/api/error-handler.js';

// A database that cannot take a request now (Postgres full up, restarting, unreachable) is a 503
// the client may retry, not a 500; anything else without a code of ours stays a 500.

function appThrowing(error: unknown): Hono {
  const lines: string[] = [];
  const logger = {
    error: (msg: string) => void lines.push(msg),
    warn: () => undefined,
    info: () => undefined,
    debug: () => undefined,
  };
  const app = new Hono();
  app.get('/x', () => {
    throw error;
  });
  app.onError(answerError(logger));
  return app;
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
