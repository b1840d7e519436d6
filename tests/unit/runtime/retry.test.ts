import {
  isRetryableBadReply,
  isRetryableReply,
  parseRetryAfter,
  transientNetworkCode,
} from '../../../src/runtime/retry.js';

// How the invoke client classifies a failed call; it never retries itself.

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

describe('isRetryableReply', () => {
  it('marks 429 and 503 retryable whatever the body says', () => {
    expect(isRetryableReply(429, false)).toBe(true);
    expect(isRetryableReply(503, false)).toBe(true);
  });

  it.each([400, 401, 403, 404, 413, 422])(
    'never marks %i retryable, even when the body says so',
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
  it('marks an unreadable reply retryable only from a gateway-like status', () => {
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
