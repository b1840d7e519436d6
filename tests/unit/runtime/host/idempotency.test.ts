import { IdempotencyCache, type StoredReply } from '../../../../src/runtime/host/idempotency.js';

const reply = (status: number, body = `{"n":${status}}`): StoredReply => ({
  status,
  body,
  headers: {},
});
const keepAll = () => true;

test('a completed key returns its stored reply without running again', async () => {
  const cache = new IdempotencyCache();
  let runs = 0;
  const produce = async () => reply(200 + runs++);
  expect(await cache.run('k', produce, keepAll)).toEqual({ reply: reply(200), replayed: false });
  expect(await cache.run('k', produce, keepAll)).toEqual({ reply: reply(200), replayed: true });
  expect(runs).toBe(1);
});

test('a concurrent duplicate waits for the first call and gets its reply', async () => {
  const cache = new IdempotencyCache();
  let release!: (value: StoredReply) => void;
  let runs = 0;
  const produce = () => {
    runs += 1;
    return new Promise<StoredReply>((resolve) => (release = resolve));
  };
  const first = cache.run('k', produce, keepAll);
  const second = cache.run('k', produce, keepAll);
  release(reply(201));
  expect(await first).toEqual({ reply: reply(201), replayed: false });
  expect(await second).toEqual({ reply: reply(201), replayed: true });
  expect(runs).toBe(1);
});

test('replies the keep predicate refuses are forgotten, so the next call runs', async () => {
  const cache = new IdempotencyCache();
  let runs = 0;
  const produce = async () => reply(runs++ === 0 ? 503 : 200);
  const keep = (stored: StoredReply) => stored.status !== 503;
  expect((await cache.run('k', produce, keep)).reply.status).toBe(503);
  expect((await cache.run('k', produce, keep)).reply.status).toBe(200);
  expect((await cache.run('k', produce, keep)).replayed).toBe(true);
  expect(runs).toBe(2);
});

test('a failing producer is forgotten and its error reaches the caller', async () => {
  const cache = new IdempotencyCache();
  await expect(cache.run('k', () => Promise.reject(new Error('nope')), keepAll)).rejects.toThrow(
    'nope',
  );
  expect(cache.size).toBe(0);
  expect((await cache.run('k', async () => reply(200), keepAll)).replayed).toBe(false);
});

test('replies expire after the TTL', async () => {
  let now = 1_000;
  const cache = new IdempotencyCache({ ttlMs: 100, now: () => now });
  await cache.run('k', async () => reply(200), keepAll);
  now += 99;
  expect((await cache.run('k', async () => reply(201), keepAll)).reply.status).toBe(200);
  now += 2;
  expect(await cache.run('k', async () => reply(202), keepAll)).toEqual({
    reply: reply(202),
    replayed: false,
  });
});

test('keeps at most maxEntries replies, dropping the oldest (and expired ones) first', async () => {
  let now = 0;
  const cache = new IdempotencyCache({ ttlMs: 1_000, maxEntries: 3, now: () => now });
  for (const key of ['a', 'b', 'c', 'd'])
    await cache.run(key, async () => reply(200, key), keepAll);
  expect(cache.size).toBe(3);
  expect((await cache.run('a', async () => reply(200, 'a2'), keepAll)).replayed).toBe(false);
  expect((await cache.run('d', async () => reply(200, 'd2'), keepAll)).replayed).toBe(true);
  now = 5_000;
  await cache.run('e', async () => reply(200, 'e'), keepAll);
  expect(cache.size).toBe(1);
});
