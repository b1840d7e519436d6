import {
  DEFAULT_MAX_REMEMBERED,
  MAX_SKEW_MS,
  ReplayGuard,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  sign,
  signatureHeaders,
  verify,
  type SignedParts,
} from '../../../src/runtime/signing.js';

const SECRET = 'test-signing-secret-0123456789';
const NOW = 1_750_000_000_000;
const body = '{"input":{"task":"x"},"meta":{"invocationId":"i-1","attempt":1}}';
const parts: SignedParts = { method: 'POST', path: '/fn/plan', body };

function check(
  given: SignedParts,
  headers: Record<string, string | undefined>,
  now = NOW,
  secret = SECRET,
): ReturnType<typeof verify> {
  return verify(secret, given, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now);
}

describe('signatureHeaders and verify', () => {
  it('round-trips: what one side signs the other accepts', () => {
    const headers = signatureHeaders(SECRET, parts, NOW);
    expect(headers[TIMESTAMP_HEADER]).toBe(String(NOW));
    expect(headers[SIGNATURE_HEADER]).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(check(parts, headers)).toEqual({
      ok: true,
      signature: headers[SIGNATURE_HEADER],
      timestampMs: NOW,
    });
  });

  it('accepts a Buffer body signed as a string, and the method in any case', () => {
    const headers = signatureHeaders(SECRET, parts, NOW);
    const asBuffer = { ...parts, method: 'post', body: Buffer.from(body) };
    expect(check(asBuffer, headers).ok).toBe(true);
  });

  it('signs with the current time by default', () => {
    const before = Date.now();
    const headers = signatureHeaders(SECRET, parts);
    const timestamp = Number(headers[TIMESTAMP_HEADER]);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Date.now());
    expect(verify(SECRET, parts, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])).toEqual({
      ok: true,
      signature: headers[SIGNATURE_HEADER],
      timestampMs: timestamp,
    });
  });

  it('gives a different signature for a different timestamp', () => {
    expect(sign(SECRET, parts, NOW)).not.toBe(sign(SECRET, parts, NOW + 1));
  });

  it('refuses a signature made with another secret', () => {
    const headers = signatureHeaders('another-secret', parts, NOW);
    const verdict = check(parts, headers);
    expect(verdict).toEqual({
      ok: false,
      reason: expect.stringContaining('signature does not match'),
    });
  });

  it.each([
    ['body', { ...parts, body: body.replace('"x"', '"y"') }],
    ['path', { ...parts, path: '/fn/act' }],
    ['method', { ...parts, method: 'PUT' }],
  ])('refuses a call whose %s was changed after signing', (_what, tampered) => {
    const headers = signatureHeaders(SECRET, parts, NOW);
    expect(check(tampered, headers)).toEqual({
      ok: false,
      reason: expect.stringContaining('signature does not match'),
    });
  });

  it('refuses a signature of the wrong length or format without throwing', () => {
    const headers = signatureHeaders(SECRET, parts, NOW);
    for (const signature of [
      'v1=abc',
      'garbage',
      `${headers[SIGNATURE_HEADER]}00`,
      'v1=' + 'ä'.repeat(64),
    ]) {
      expect(check(parts, { ...headers, [SIGNATURE_HEADER]: signature }).ok).toBe(false);
    }
  });

  it.each([
    ['timestamp', TIMESTAMP_HEADER],
    ['signature', SIGNATURE_HEADER],
  ])('refuses a call without the %s header', (_what, header) => {
    const headers: Record<string, string | undefined> = signatureHeaders(SECRET, parts, NOW);
    headers[header] = undefined;
    expect(check(parts, headers)).toEqual({
      ok: false,
      reason: `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header`,
    });
    expect(check(parts, { ...headers, [header]: '' }).ok).toBe(false);
  });

  it('accepts a timestamp up to 5 minutes old and refuses one older', () => {
    const edge = signatureHeaders(SECRET, parts, NOW - MAX_SKEW_MS);
    expect(check(parts, edge).ok).toBe(true);
    const stale = signatureHeaders(SECRET, parts, NOW - MAX_SKEW_MS - 1);
    expect(check(parts, stale)).toEqual({
      ok: false,
      reason: expect.stringContaining('stale signature'),
    });
  });

  it('refuses a timestamp more than 5 minutes in the future', () => {
    const edge = signatureHeaders(SECRET, parts, NOW + MAX_SKEW_MS);
    expect(check(parts, edge).ok).toBe(true);
    const future = signatureHeaders(SECRET, parts, NOW + MAX_SKEW_MS + 1);
    expect(check(parts, future)).toEqual({
      ok: false,
      reason: expect.stringContaining('stale signature'),
    });
  });

  it.each(['soon', 'Infinity', '1750000000000.5', 'NaN', '99999999999999999999'])(
    'refuses the non-integer timestamp %s',
    (timestamp) => {
      const headers = signatureHeaders(SECRET, parts, NOW);
      expect(check(parts, { ...headers, [TIMESTAMP_HEADER]: timestamp })).toEqual({
        ok: false,
        reason: `${TIMESTAMP_HEADER} must be milliseconds since the epoch`,
      });
    },
  );

  it('refuses a replayed signature under a rewritten timestamp', () => {
    const headers = signatureHeaders(SECRET, parts, NOW - 10 * 60_000);
    const replayed = { ...headers, [TIMESTAMP_HEADER]: String(NOW) };
    expect(check(parts, replayed)).toEqual({
      ok: false,
      reason: expect.stringContaining('signature does not match'),
    });
  });
});

describe('ReplayGuard', () => {
  const sig = (n: number) => `v1=${String(n).padStart(64, '0')}`;

  it('accepts a signature once and refuses it again while it could still verify', () => {
    const guard = new ReplayGuard();
    expect(guard.accept(sig(1), NOW, NOW)).toEqual({ ok: true });
    expect(guard.accept(sig(1), NOW, NOW + 1)).toEqual({ ok: false, reason: 'replayed' });
    // The last moment the timestamp verifies is NOW + MAX_SKEW_MS: still refused then.
    expect(guard.accept(sig(1), NOW, NOW + MAX_SKEW_MS)).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(guard.accept(sig(2), NOW, NOW)).toEqual({ ok: true });
  });

  it('forgets a signature once its timestamp leaves the window, when verify refuses it anyway', () => {
    const guard = new ReplayGuard();
    guard.accept(sig(1), NOW, NOW);
    guard.accept(sig(2), NOW + 1_000, NOW + 1_000);
    guard.accept(sig(3), NOW + 2_000, NOW + 2_000);
    expect(guard.size).toBe(3);
    guard.accept(sig(4), NOW + MAX_SKEW_MS + 1_500, NOW + MAX_SKEW_MS + 1_500);
    expect(guard.size).toBe(2);
  });

  it('remembers a future-dated signature until its own timestamp leaves the window', () => {
    const guard = new ReplayGuard();
    const ahead = NOW + MAX_SKEW_MS;
    guard.accept(sig(1), ahead, NOW);
    expect(guard.accept(sig(1), ahead, NOW + 2 * MAX_SKEW_MS).ok).toBe(false);
  });

  it('when full, refuses new signatures with the wait until room frees up instead of forgetting live ones', () => {
    const guard = new ReplayGuard({ maxEntries: 2 });
    // Accepted out of expiry order: a caller whose clock runs behind signed the second one.
    expect(guard.accept(sig(1), NOW, NOW).ok).toBe(true);
    expect(guard.accept(sig(2), NOW - 60_000, NOW).ok).toBe(true);
    expect(guard.accept(sig(3), NOW, NOW + 10)).toEqual({
      ok: false,
      reason: 'full',
      retryAfterMs: MAX_SKEW_MS - 60_000 - 10 + 1,
    });
    // A replay is still named a replay when the guard is full.
    expect(guard.accept(sig(1), NOW, NOW + 10)).toEqual({ ok: false, reason: 'replayed' });
    // Once the older-signed one expires (found by the full sweep, though it is not first), room.
    expect(guard.accept(sig(3), NOW, NOW + MAX_SKEW_MS - 60_000 + 1)).toEqual({ ok: true });
    expect(guard.size).toBe(2);
    expect(guard.accept(sig(1), NOW, NOW + MAX_SKEW_MS - 60_000 + 2).ok).toBe(false);
  });

  it('has a bounded default and refuses a nonsensical cap', () => {
    expect(DEFAULT_MAX_REMEMBERED).toBeGreaterThanOrEqual(10_000);
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => new ReplayGuard({ maxEntries })).toThrow(/maxEntries/);
    }
  });
});
