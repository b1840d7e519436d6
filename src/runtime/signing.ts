import { createHmac, timingSafeEqual } from 'node:crypto';
import { AtolyeError } from '../errors.js';

export const SIGNATURE_HEADER = 'x-atolye-signature';
export const TIMESTAMP_HEADER = 'x-atolye-timestamp';
/** Calls older or newer than this are refused, so a captured request cannot be replayed later. */
export const MAX_SKEW_MS = 5 * 60_000;
/**
 * Signatures a host remembers at most (≈ 16 MB; 333 calls/s sustained over the window). Beyond
 * it new calls are refused until old signatures leave the window.
 */
export const DEFAULT_MAX_REMEMBERED = 100_000;

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

/** A passed check carries what it verified, for the replay guard. */
export type Verdict =
  { ok: true; signature: string; timestampMs: number } | { ok: false; reason: string };

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
  return { ok: true, signature: signatureHeader, timestampMs: timestamp };
}

export interface ReplayGuardOptions {
  /** Signatures remembered at most; see DEFAULT_MAX_REMEMBERED. */
  maxEntries?: number;
}

export type Acceptance =
  | { ok: true }
  | { ok: false; reason: 'replayed' }
  | { ok: false; reason: 'full'; retryAfterMs: number };

/**
 * Accepts each signature once. A verified signature stays valid for the whole window, so without
 * this a captured request could be sent again, byte for byte, for up to 5 minutes. Each accepted
 * signature is remembered until its timestamp leaves the window (after that `verify` refuses it
 * anyway). When `maxEntries` are remembered, a new signature is refused rather than an old one
 * forgotten: forgetting would reopen the replay this exists to stop.
 */
export class ReplayGuard {
  /** Signature → the last moment its timestamp still verifies; insertion order ≈ expiry order. */
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(options: ReplayGuardOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_REMEMBERED;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new AtolyeError(
        'REPLAY_GUARD_INVALID',
        `replay guard: maxEntries must be a whole number ≥ 1, got ${this.maxEntries}`,
      );
    }
  }

  get size(): number {
    return this.expiries.size;
  }

  /** Call once `verify` passed; `timestampMs` is the signed timestamp. */
  accept(signature: string, timestampMs: number, now = Date.now()): Acceptance {
    this.dropExpiredHead(now);
    if (this.expiries.has(signature)) return { ok: false, reason: 'replayed' };
    if (this.expiries.size >= this.maxEntries) {
      const nextExpiry = this.sweep(now);
      if (this.expiries.size >= this.maxEntries) {
        return { ok: false, reason: 'full', retryAfterMs: nextExpiry - now + 1 };
      }
    }
    this.expiries.set(signature, timestampMs + MAX_SKEW_MS);
    return { ok: true };
  }

  /**
   * Drops expired signatures from the front and stops at the first live one: O(1) per call. One
   * from a caller whose clock runs behind may wait behind younger ones; sweep() finds those.
   */
  private dropExpiredHead(now: number): void {
    for (const [signature, expiresAt] of this.expiries) {
      if (expiresAt >= now) return;
      this.expiries.delete(signature);
    }
  }

  /** Drops every expired signature; returns the earliest expiry left. */
  private sweep(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const [signature, expiresAt] of this.expiries) {
      if (expiresAt < now) this.expiries.delete(signature);
      else next = Math.min(next, expiresAt);
    }
    return next;
  }
}
