import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-atolye-signature';
export const TIMESTAMP_HEADER = 'x-atolye-timestamp';
/** Calls older or newer than this are refused, so a captured request cannot be replayed later. */
export const MAX_SKEW_MS = 5 * 60_000;

export interface SignedParts {
  method: string;
  path: string;
  body: string | Buffer;
}

/** HMAC-SHA256 over method, path, timestamp and body, as lower-case hex with a `v1=` prefix. */
export function sign(secret: string, parts: SignedParts, timestampMs: number): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${parts.method.toUpperCase()}\n${parts.path}\n${timestampMs}\n`);
  hmac.update(parts.body);
  return `v1=${hmac.digest('hex')}`;
}

/** The two headers a signed call carries. */
export function signatureHeaders(
  secret: string,
  parts: SignedParts,
  now = Date.now(),
): Record<string, string> {
  return { [TIMESTAMP_HEADER]: String(now), [SIGNATURE_HEADER]: sign(secret, parts, now) };
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Checks a call's signature; the reason says what a caller has to fix. */
export function verify(
  secret: string,
  parts: SignedParts,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  now = Date.now(),
): Verdict {
  if (!timestampHeader || !signatureHeader) {
    return { ok: false, reason: `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header` };
  }
  const timestamp = Number(timestampHeader);
  if (!/^\d{1,16}$/.test(timestampHeader) || !Number.isSafeInteger(timestamp)) {
    return { ok: false, reason: `${TIMESTAMP_HEADER} must be milliseconds since the epoch` };
  }
  if (Math.abs(now - timestamp) > MAX_SKEW_MS) {
    return {
      ok: false,
      reason: 'stale signature: the timestamp is more than 5 minutes off; check the clock',
    };
  }
  const expected = Buffer.from(sign(secret, parts, timestamp));
  const given = Buffer.from(signatureHeader);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return {
      ok: false,
      reason: 'signature does not match: caller and host must share security.signingSecret',
    };
  }
  return { ok: true };
}
