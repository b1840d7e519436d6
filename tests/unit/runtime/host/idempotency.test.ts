import {
  IdempotencyCache,
  IdempotencyKeyReused,
  callFingerprint,
  canonicalJson,
  type StoredReply,
} from '../../../../src/runtime/host/idempotency.js';

const reply = (status: number, body = `{"n":${status}}`): StoredReply => ({
  status,
  body,
  headers: {},
});
const keepAll = () => true;
/** The fingerprint of the one call a test makes under each key. */
const SAME = 'fingerprint-1';

test('a completed key returns its stored reply without running again', async () => {
  const cache = new IdempotencyCache();
  let runs = 0;
  const produce = async () => reply(200 + runs++);
  expect(await cache.run('k', SAME, produce, keepAll)).toEqual({
    reply: reply(200),
    replayed: false,
  });
  expect(await cache.run('k', SAME, produce, keepAll)).toEqual({
    reply: reply(200),
    replayed: true,
  });
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
  const first = cache.run('k', SAME, produce, keepAll);
  const second = cache.run('k', SAME, produce, keepAll);
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
  expect((await cache.run('k', SAME, produce, keep)).reply.status).toBe(503);
  expect((await cache.run('k', SAME, produce, keep)).reply.status).toBe(200);
  expect((await cache.run('k', SAME, produce, keep)).replayed).toBe(true);
  expect(runs).toBe(2);
});

test('a failing producer is forgotten and its error reaches the caller', async () => {
  const cache = new IdempotencyCache();
  await expect(
    cache.run('k', SAME, () => Promise.reject(new Error('nope')), keepAll),
  ).rejects.toThrow('nope');
  expect(cache.size).toBe(0);
  expect((await cache.run('k', SAME, async () => reply(200), keepAll)).replayed).toBe(false);
});

test('replies expire after the TTL', async () => {
  let now = 1_000;
  const cache = new IdempotencyCache({ ttlMs: 100, now: () => now });
  await cache.run('k', SAME, async () => reply(200), keepAll);
  now += 99;
  expect((await cache.run('k', SAME, async () => reply(201), keepAll)).reply.status).toBe(200);
  now += 2;
  expect(await cache.run('k', SAME, async () => reply(202), keepAll)).toEqual({
    reply: reply(202),
    replayed: false,
  });
});

test('keeps at most maxEntries replies, dropping the oldest (and expired ones) first', async () => {
  let now = 0;
  const cache = new IdempotencyCache({ ttlMs: 1_000, maxEntries: 3, now: () => now });
  for (const key of ['a', 'b', 'c', 'd'])
    await cache.run(key, SAME, async () => reply(200, key), keepAll);
  expect(cache.size).toBe(3);
  expect((await cache.run('a', SAME, async () => reply(200, 'a2'), keepAll)).replayed).toBe(false);
  expect((await cache.run('d', SAME, async () => reply(200, 'd2'), keepAll)).replayed).toBe(true);
  now = 5_000;
  await cache.run('e', SAME, async () => reply(200, 'e'), keepAll);
  expect(cache.size).toBe(1);
});

test('a key used for a different call is refused, completed or still running, and keeps its own reply', async () => {
  const cache = new IdempotencyCache();
  let release!: (value: StoredReply) => void;
  let runs = 0;
  const slow = () => {
    runs += 1;
    return new Promise<StoredReply>((resolve) => (release = resolve));
  };
  const first = cache.run('k', SAME, slow, keepAll);
  const running = cache.run('k', 'fingerprint-2', slow, keepAll);
  await expect(running).rejects.toBeInstanceOf(IdempotencyKeyReused);
  await expect(running).rejects.toMatchObject({
    status: 422,
    code: 'IDEMPOTENCY_KEY_REUSED',
    retryable: false,
    message: expect.stringContaining('"k" was already used for a different call that is still'),
  });
  release(reply(200));
  expect((await first).reply).toEqual(reply(200));

  const completed = cache.run('k', 'fingerprint-2', slow, keepAll);
  await expect(completed).rejects.toMatchObject({
    code: 'IDEMPOTENCY_KEY_REUSED',
    message: expect.not.stringContaining('still running'),
  });
  expect(await cache.run('k', SAME, slow, keepAll)).toEqual({ reply: reply(200), replayed: true });
  expect(runs).toBe(1);
});

test('a producer that refuses synchronously leaves the key free', async () => {
  const cache = new IdempotencyCache();
  const refuse = (): Promise<StoredReply> => {
    throw new Error('refused before any work');
  };
  await expect(cache.run('k', SAME, refuse, keepAll)).rejects.toThrow('refused before any work');
  expect(cache.size).toBe(0);
  expect((await cache.run('k', 'fingerprint-2', async () => reply(200), keepAll)).replayed).toBe(
    false,
  );
});

describe('callFingerprint', () => {
  const call = {
    function: 'tools',
    input: { a: 1, b: [1, { c: 'x' }] },
    threadId: 't',
    runId: 'r',
  };

  it('ignores key order but not values, the function or the thread, run and step', () => {
    const base = callFingerprint({ ...call, step: 'tools' });
    expect(callFingerprint({ ...call, step: 'tools', input: { b: [1, { c: 'x' }], a: 1 } })).toBe(
      base,
    );
    for (const other of [
      { ...call, step: 'tools', input: { a: 2, b: [1, { c: 'x' }] } },
      { ...call, step: 'tools', input: { a: 1, b: [{ c: 'x' }, 1] } },
      { ...call, step: 'tools', function: 'act' },
      { ...call, step: 'tools', threadId: 'u' },
      { ...call, step: 'tools', runId: 's' },
      { ...call, step: 'act' },
      { ...call },
    ]) {
      expect(callFingerprint(other)).not.toBe(base);
    }
  });

  it('does not confuse a field with the separator', () => {
    expect(callFingerprint({ function: 'a', input: null, threadId: 'b\n' })).not.toBe(
      callFingerprint({ function: 'a', input: null, threadId: 'b', runId: '' }),
    );
  });
});

describe('canonicalJson', () => {
  it('writes JSON with sorted keys that parses back to the same value', () => {
    const value = { z: [3, 'ü', null, true, { y: 1, x: [] }], a: {}, m: -0.5, '"q"': 'a"b\n' };
    const text = canonicalJson(value);
    expect(text).toBe(
      '{"\\"q\\"":"a\\"b\\n","a":{},"m":-0.5,"z":[3,"ü",null,true,{"x":[],"y":1}]}',
    );
    expect(JSON.parse(text)).toEqual(value);
    expect(canonicalJson('plain')).toBe('"plain"');
    expect(canonicalJson([])).toBe('[]');
  });

  it('survives nesting far deeper than JSON.stringify does', () => {
    const depth = 100_000;
    const source = `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
    const deep: unknown = JSON.parse(source);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    // Already canonical (one key, no spaces), so it must come back unchanged.
    expect(canonicalJson(deep)).toBe(source);
  });
});
