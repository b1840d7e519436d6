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
}

interface Entry<R> {
  reply: Promise<R>;
  /** Set once the reply is known and kept; undefined while the first call runs. */
  expiresAt?: number;
}

/**
 * Remembers replies by idempotency key. A key that already completed returns its stored reply
 * without running again; a duplicate that arrives while the first call runs waits for it. Only
 * replies worth repeating are kept: a retryable failure is forgotten, so a retry really retries.
 */
export class IdempotencyCache<R = StoredReply> {
  private readonly entries = new Map<string, Entry<R>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: IdempotencyOptions = {}) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async run(
    key: string,
    produce: () => Promise<R>,
    keep: (reply: R) => boolean,
  ): Promise<{ reply: R; replayed: boolean }> {
    const existing = this.entries.get(key);
    if (existing && (existing.expiresAt === undefined || existing.expiresAt > this.now())) {
      return { reply: await existing.reply, replayed: true };
    }
    const entry: Entry<R> = { reply: produce() };
    this.entries.set(key, entry);
    try {
      const reply = await entry.reply;
      if (this.entries.get(key) === entry) {
        // Re-inserted so the map's order is completion order, which eviction relies on.
        this.entries.delete(key);
        if (keep(reply)) {
          entry.expiresAt = this.now() + this.ttlMs;
          this.entries.set(key, entry);
          this.evict();
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
