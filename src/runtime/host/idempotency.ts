import { createHash } from 'node:crypto';
import { HttpError } from './http.js';

/** A reply as it went out, so that a repeated call can receive it byte for byte. */
export interface StoredReply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export interface IdempotencyOptions {
  /** How long a completed reply is kept. */
  ttlMs?: number;
  /** Completed replies kept at most; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
  /**
   * Replies kept beyond this host, for every host on the same database: a key not in memory is
   * looked up there before its call runs, and a kept reply is written there before it goes out.
   */
  shared?: SharedReplies;
}

/** A completed reply as kept beyond this host. */
export interface SharedReply {
  fingerprint: string;
  reply: StoredReply;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * Completed replies shared by several hosts. Neither method rejects: a store that cannot answer
 * finds nothing and keeps nothing (it says so in the log), and each host goes on from memory.
 */
export interface SharedReplies {
  /** The reply kept under `key` that has not expired at `now`. */
  find(key: string, now: number): Promise<SharedReply | undefined>;
  /** Keeps a reply under `key` unless an unexpired one is there already (the first one wins). */
  keep(key: string, entry: SharedReply, now: number): Promise<void>;
}

/** How a reply of type R is kept beyond this host: as the reply that went out, and back. */
export interface ReplyCodec<R> {
  toStored(reply: R): StoredReply;
  fromStored(stored: StoredReply): R;
}

interface Entry<R> {
  /** What the key was first used for (see callFingerprint). */
  fingerprint: string;
  reply: Promise<R>;
  /** Set once the reply is known and kept; undefined while the first call runs. */
  expiresAt?: number;
}

/** A key already stands for another call: answering with that call's reply would be a lie. */
export class IdempotencyKeyReused extends HttpError {
  constructor(
    readonly key: string,
    running: boolean,
  ) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      `idempotency-key ${JSON.stringify(key)} was already used for a different call` +
        `${running ? ' that is still running' : ''} (another function, input, thread, run or ` +
        'step): send a new key for a new call, or repeat the first call exactly',
    );
    this.name = 'IdempotencyKeyReused';
  }
}

/**
 * Remembers replies by idempotency key. A key that already completed returns its stored reply
 * without running again; a duplicate that arrives while the first call runs waits for it. A key
 * used for a different call (another fingerprint) is refused, running or completed. Only replies
 * worth repeating are kept: a retryable failure is forgotten, so a retry really retries.
 *
 * With `shared` replies (and a codec for the call), a key this host does not know is looked up
 * there first: a reply another host completed answers the call, or refuses it if the fingerprint
 * differs. Calls in flight stay per host: a call still running on a host that died runs again
 * when it is retried elsewhere, which is what the retry is for.
 */
export class IdempotencyCache<R = StoredReply> {
  private readonly entries = new Map<string, Entry<R>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly shared: SharedReplies | undefined;
  /** Shared lookups under way, by key: a duplicate waits for one rather than start another. */
  private readonly lookups = new Map<string, Promise<SharedReply | undefined>>();

  constructor(options: IdempotencyOptions = {}) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.shared = options.shared;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * `produce` is called synchronously once the key is known to be free (in memory, and in the
   * shared replies when `codec` is given and the cache has them); a synchronous throw (a refusal
   * before any work) leaves the key free.
   */
  async run(
    key: string,
    fingerprint: string,
    produce: () => Promise<R>,
    keep: (reply: R) => boolean,
    codec?: ReplyCodec<R>,
  ): Promise<{ reply: R; replayed: boolean }> {
    const shared = codec === undefined ? undefined : this.shared;
    let looked = false;
    for (;;) {
      const existing = this.entries.get(key);
      if (existing && (existing.expiresAt === undefined || existing.expiresAt > this.now())) {
        if (existing.fingerprint !== fingerprint) {
          throw new IdempotencyKeyReused(key, existing.expiresAt === undefined);
        }
        return { reply: await existing.reply, replayed: true };
      }
      const pending = this.lookups.get(key);
      if (pending) {
        // Whoever started the lookup awaits the same promise, so it resumes first (reactions run
        // in order) and has taken the key, or answered, by the time this continues.
        await pending;
        continue;
      }
      if (looked || shared === undefined || codec === undefined) break;
      const lookup = shared.find(key, this.now());
      this.lookups.set(key, lookup);
      let found: SharedReply | undefined;
      try {
        found = await lookup;
      } finally {
        this.lookups.delete(key);
      }
      if (found) {
        if (found.fingerprint !== fingerprint) throw new IdempotencyKeyReused(key, false);
        const reply = codec.fromStored(found.reply);
        this.entries.delete(key);
        this.entries.set(key, {
          fingerprint,
          reply: Promise.resolve(reply),
          expiresAt: Math.min(found.expiresAt, this.now() + this.ttlMs),
        });
        this.evict();
        return { reply, replayed: true };
      }
      // Not found: once more round the loop, in this same turn, to take the key (free still:
      // every duplicate is waiting for this lookup).
      looked = true;
    }
    const entry: Entry<R> = { fingerprint, reply: produce() };
    this.entries.set(key, entry);
    try {
      const reply = await entry.reply;
      if (this.entries.get(key) === entry) {
        // Re-inserted so the map's order is completion order, which eviction relies on.
        this.entries.delete(key);
        if (keep(reply)) {
          const expiresAt = this.now() + this.ttlMs;
          entry.expiresAt = expiresAt;
          this.entries.set(key, entry);
          this.evict();
          // Written before the reply goes out: a caller who lost it finds it on any host.
          if (shared !== undefined && codec !== undefined) {
            const stored = codec.toStored(reply);
            await shared.keep(key, { fingerprint, reply: stored, expiresAt }, this.now());
          }
        }
      }
      return { reply, replayed: false };
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }

  /** Drops expired replies, then the oldest ones while there are too many. Running calls stay. */
  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt === undefined) continue;
      if (entry.expiresAt > now && this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

/** The parts of a call an idempotency key is bound to. */
export interface CallIdentity {
  function: string;
  input: unknown;
  /** Whose workspace and history the call acts on; the same for every attempt and resume. */
  threadId?: string;
  runId?: string;
  step?: string;
}

/**
 * A digest of what a call does, for comparing two uses of one key. Attempt number, invocation
 * id and request id are left out: they change between honest attempts of the same call. The
 * input is hashed as canonical JSON (object keys sorted), so key order does not matter.
 */
export function callFingerprint(call: CallIdentity): string {
  const scope = [call.function, call.threadId ?? null, call.runId ?? null, call.step ?? null];
  return createHash('sha256')
    .update(JSON.stringify(scope))
    .update('\n')
    .update(canonicalJson(call.input))
    .digest('base64');
}

interface Frame {
  values: unknown[];
  /** Object keys, sorted; undefined for an array. */
  keys?: string[];
  next: number;
}

/**
 * JSON with every object's keys sorted. Written with an explicit stack rather than recursion:
 * JSON.parse accepts nesting far deeper than a recursive writer (or JSON.stringify) survives.
 */
export function canonicalJson(value: unknown): string {
  let out = '';
  const frames: Frame[] = [];
  let pending: unknown = value;
  let hasPending = true;
  for (;;) {
    if (hasPending) {
      hasPending = false;
      if (Array.isArray(pending)) {
        out += '[';
        frames.push({ values: pending, next: 0 });
      } else if (pending !== null && typeof pending === 'object') {
        const record = pending as Record<string, unknown>;
        const keys = Object.keys(record).sort();
        out += '{';
        frames.push({ values: keys.map((key) => record[key]), keys, next: 0 });
      } else {
        out += JSON.stringify(pending) ?? 'null';
      }
    }
    const frame = frames.at(-1);
    if (frame === undefined) return out;
    if (frame.next === frame.values.length) {
      out += frame.keys === undefined ? ']' : '}';
      frames.pop();
      continue;
    }
    if (frame.next > 0) out += ',';
    if (frame.keys !== undefined) out += `${JSON.stringify(frame.keys[frame.next])}:`;
    pending = frame.values[frame.next];
    hasPending = true;
    frame.next += 1;
  }
}
