import {
  DEFAULT_BACKOFF,
  backoffDelay,
  isRetryableBadReply,
  isRetryableReply,
  parseRetryAfter,
  retryDelay,
  sleep,
  transientNetworkCode,
} from '../../../src/runtime/retry.js';

const backoff = { baseMs: 100, maxMs: 1_000 };
const lowest = (): number => 0;
const highest = (): number => 0.999_999;

describe('backoffDelay (full jitter)', () => {
  it('draws from [0, baseMs·2^retry)', () => {
    expect(backoffDelay(0, backoff, lowest)).toBe(0);
    expect(backoffDelay(0, backoff, highest)).toBe(99);
    expect(backoffDelay(1, backoff, highest)).toBe(199);
    expect(backoffDelay(2, backoff, highest)).toBe(399);
    expect(backoffDelay(2, backoff, () => 0.5)).toBe(200);
  });

  it('never exceeds maxMs however many retries came before', () => {
    expect(backoffDelay(4, backoff, highest)).toBe(999);
    expect(backoffDelay(60, backoff, highest)).toBe(999);
  });

  it('uses Math.random by default and stays in bounds', () => {
    for (let i = 0; i < 200; i += 1) {
      const delay = backoffDelay(3, backoff);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(800);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores an absent or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('retryDelay', () => {
  it('is plain backoff without Retry-After', () => {
    expect(retryDelay(1, backoff, undefined, highest)).toBe(199);
  });

  it('takes Retry-After as the floor and adds jitter', () => {
    expect(retryDelay(0, backoff, 2_000, lowest)).toBe(2_000);
    expect(retryDelay(0, backoff, 2_000, highest)).toBe(2_099);
  });

  it('caps Retry-After at retryAfterCapMs, 30 s by default', () => {
    expect(retryDelay(0, { ...backoff, retryAfterCapMs: 500 }, 120_000, lowest)).toBe(500);
    expect(retryDelay(0, backoff, 3_600_000, lowest)).toBe(DEFAULT_BACKOFF.retryAfterCapMs);
  });
});

describe('isRetryableReply', () => {
  it('always retries 429 and 503', () => {
    expect(isRetryableReply(429, false)).toBe(true);
    expect(isRetryableReply(503, false)).toBe(true);
  });

  it.each([400, 401, 403, 404, 413, 422])(
    'never retries %i, even when the body says so',
    (status) => {
      expect(isRetryableReply(status, true)).toBe(false);
    },
  );

  it('follows the body for other statuses', () => {
    expect(isRetryableReply(500, true)).toBe(true);
    expect(isRetryableReply(500, false)).toBe(false);
    expect(isRetryableReply(502, true)).toBe(true);
    expect(isRetryableReply(504, false)).toBe(false);
    expect(isRetryableReply(409, true)).toBe(true);
  });
});

describe('isRetryableBadReply', () => {
  it('retries an unreadable reply only from a gateway-like status', () => {
    for (const status of [429, 502, 503, 504]) expect(isRetryableBadReply(status)).toBe(true);
    for (const status of [200, 400, 401, 404, 500]) expect(isRetryableBadReply(status)).toBe(false);
  });
});

describe('transientNetworkCode', () => {
  const withCode = (message: string, code: string): Error =>
    Object.assign(new Error(message), { code });

  it('finds a socket code anywhere in the cause chain', () => {
    const refused = new TypeError('fetch failed', {
      cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED'),
    });
    expect(transientNetworkCode(refused)).toBe('ECONNREFUSED');
    const deep = new Error('a', {
      cause: new Error('b', { cause: withCode('other side closed', 'UND_ERR_SOCKET') }),
    });
    expect(transientNetworkCode(deep)).toBe('UND_ERR_SOCKET');
  });

  it('recognises a hang-up by its message when there is no code', () => {
    expect(transientNetworkCode(new Error('socket hang up'))).toBe('socket hang up');
    expect(transientNetworkCode(withCode('other side closed', 'SOMETHING_ELSE'))).toBe(
      'SOMETHING_ELSE',
    );
  });

  it('reads errors from another realm by their shape', () => {
    expect(
      transientNetworkCode({
        message: 'fetch failed',
        cause: { message: 'x', code: 'ECONNRESET' },
      }),
    ).toBe('ECONNRESET');
  });

  it('says nothing about errors that are not transient', () => {
    expect(
      transientNetworkCode(new TypeError('fetch failed', { cause: new Error('bad port') })),
    ).toBeUndefined();
    expect(
      transientNetworkCode(withCode('getaddrinfo ENOTFOUND nohost', 'ENOTFOUND')),
    ).toBeUndefined();
    expect(transientNetworkCode('ECONNRESET')).toBeUndefined();
    expect(transientNetworkCode(undefined)).toBeUndefined();
  });

  it('stops following a cause chain that loops', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(transientNetworkCode(a)).toBeUndefined();
  });
});

describe('sleep', () => {
  it('waits about as long as asked', async () => {
    const started = performance.now();
    await sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(28);
  });

  it('returns at once for zero, unless already aborted', async () => {
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(0, AbortSignal.abort(new Error('stop')))).rejects.toThrow('stop');
  });

  it('rejects as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const waiting = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(), 10);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
