import {
  MAX_SKEW_MS,
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
    expect(check(parts, headers)).toEqual({ ok: true });
  });

  it('accepts a Buffer body signed as a string, and the method in any case', () => {
    const headers = signatureHeaders(SECRET, parts, NOW);
    const asBuffer = { ...parts, method: 'post', body: Buffer.from(body) };
    expect(check(asBuffer, headers)).toEqual({ ok: true });
  });

  it('signs with the current time by default', () => {
    const before = Date.now();
    const headers = signatureHeaders(SECRET, parts);
    const timestamp = Number(headers[TIMESTAMP_HEADER]);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Date.now());
    expect(verify(SECRET, parts, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])).toEqual({
      ok: true,
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
    expect(check(parts, edge)).toEqual({ ok: true });
    const stale = signatureHeaders(SECRET, parts, NOW - MAX_SKEW_MS - 1);
    expect(check(parts, stale)).toEqual({
      ok: false,
      reason: expect.stringContaining('stale signature'),
    });
  });

  it('refuses a timestamp more than 5 minutes in the future', () => {
    const edge = signatureHeaders(SECRET, parts, NOW + MAX_SKEW_MS);
    expect(check(parts, edge)).toEqual({ ok: true });
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
