import { EventEmitter } from 'node:events';
import { sql, type Database } from '../store/database.js';
import type { ThreadScope } from './runs-store.js';
import { inScope } from './sql-filters.js';

/**
 * Every event of every run, in order, in the orchestrator's store: a client that lost its stream
 * re-attaches with `Last-Event-ID` and reads on from there, even after an orchestrator restart.
 * Live readers are woken by an in-process signal, and look again at least every `pollMs` for
 * events another orchestrator wrote; the table stays the one source of truth. A run's events are
 * appended in order: each append waits for the one before it.
 * A run's events are stored once for every stream mode (stream-recorder.ts) and cut per client
 * (stream-modes.ts).
 */

export interface RunEvent {
  /** Position in the run's stream, from 1; the SSE `id`. */
  seq: number;
  event: string;
  data: unknown;
}

export interface RunEventSink {
  append(runId: string, event: string, data: unknown): Promise<void>;
}

export class RunEvents implements RunEventSink {
  private readonly signal = new EventEmitter().setMaxListeners(0);
  /** Per run, the last append in flight: the next one waits for it (seq is MAX + 1). */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly database: Database,
    private readonly pollMs = 1_000,
  ) {}

  append(runId: string, event: string, data: unknown): Promise<void> {
    const previous = this.tails.get(runId) ?? Promise.resolve();
    const written = previous.then(async () => {
      await this.database.run(
        sql`INSERT INTO run_events (run_id, seq, event, data)
            VALUES (${runId}, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_events WHERE run_id = ${runId}),
                    ${event}, ${JSON.stringify(data ?? null)})`,
      );
      this.signal.emit(runId);
    });
    // A failed append is the caller's to report; the next one still goes ahead.
    const tail = written.catch(() => undefined);
    this.tails.set(runId, tail);
    void tail.then(() => {
      if (this.tails.get(runId) === tail) this.tails.delete(runId);
    });
    return written;
  }

  /** The run's events after position `seq`, oldest first; none when its thread is out of `scope`. */
  async after(runId: string, seq: number, scope: ThreadScope): Promise<RunEvent[]> {
    const rows = await this.database.all<{ seq: number; event: string; data: string }>(
      sql`SELECT e.seq, e.event, e.data FROM run_events e
          JOIN runs r ON r.run_id = e.run_id
          JOIN threads t ON t.thread_id = r.thread_id
          WHERE e.run_id = ${runId} AND e.seq > ${seq} AND ${inScope('t', scope)}
          ORDER BY e.seq`,
    );
    return rows.map((row) => ({ seq: row.seq, event: row.event, data: JSON.parse(row.data) }));
  }

  /** Whether the run has an event named `event` stored. */
  async has(runId: string, event: string): Promise<boolean> {
    const row = await this.database.first(
      sql`SELECT 1 AS found FROM run_events WHERE run_id = ${runId} AND event = ${event} LIMIT 1`,
    );
    return row !== undefined;
  }

  /**
   * The data of the run's latest `event` before position `seq` (undefined when it has none, or
   * its thread is out of `scope`): what a compact event refers to, for a stream that starts after it.
   */
  async lastBefore(
    runId: string,
    event: string,
    seq: number,
    scope: ThreadScope,
  ): Promise<unknown> {
    const row = await this.database.first<{ data: string }>(
      sql`SELECT e.data FROM run_events e
          JOIN runs r ON r.run_id = e.run_id
          JOIN threads t ON t.thread_id = r.thread_id
          WHERE e.run_id = ${runId} AND e.event = ${event} AND e.seq < ${seq}
            AND ${inScope('t', scope)}
          ORDER BY e.seq DESC LIMIT 1`,
    );
    return row === undefined ? undefined : JSON.parse(row.data);
  }

  /**
   * Resolves once the run has an event after `seq` (at once if it has one already), after
   * `timeoutMs`, or when `signal` aborts. Events written by another process are seen within
   * `pollMs`.
   */
  next(runId: string, seq: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        this.signal.off(runId, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const check = (): void => {
        this.latest(runId).then(
          (latest) => latest > seq && done(),
          () => undefined,
        );
      };
      const timer = setTimeout(done, timeoutMs);
      const poll = setInterval(check, this.pollMs);
      this.signal.once(runId, done);
      signal?.addEventListener('abort', done, { once: true });
      // Subscribed first, checked second: an event written in between is not missed.
      if (signal?.aborted) done();
      else check();
    });
  }

  private async latest(runId: string): Promise<number> {
    const row = await this.database.first<{ seq: number }>(
      sql`SELECT COALESCE(MAX(seq), 0) AS seq FROM run_events WHERE run_id = ${runId}`,
    );
    return Number(row?.seq ?? 0);
  }
}
