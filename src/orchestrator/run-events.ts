import { EventEmitter } from 'node:events';
import type { SqliteDatabase } from '../store/sqlite.js';
import { IN_SCOPE, scopeParams, type ThreadScope } from './runs-store.js';

/**
 * Every event of every run, in order, in the orchestrator's store: a client that lost its stream
 * re-attaches with `Last-Event-ID` and reads on from there, even after an orchestrator restart.
 * Live readers are woken by an in-process signal; the table stays the one source of truth.
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
  append(runId: string, event: string, data: unknown): void;
}

export class RunEvents implements RunEventSink {
  private readonly signal = new EventEmitter().setMaxListeners(0);

  constructor(private readonly db: SqliteDatabase) {}

  append(runId: string, event: string, data: unknown): void {
    this.db
      .prepare(
        `INSERT INTO run_events (run_id, seq, event, data)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_events WHERE run_id = ?), ?, ?)`,
      )
      .run(runId, runId, event, JSON.stringify(data ?? null));
    this.signal.emit(runId);
  }

  /** The run's events after position `seq`, oldest first; none when its thread is out of `scope`. */
  after(runId: string, seq: number, scope: ThreadScope): RunEvent[] {
    const rows = this.db
      .prepare(
        `SELECT e.seq, e.event, e.data FROM run_events e
         JOIN runs r ON r.run_id = e.run_id
         JOIN threads t ON t.thread_id = r.thread_id
         WHERE e.run_id = @runId AND e.seq > @seq AND ${IN_SCOPE}
         ORDER BY e.seq`,
      )
      .all({ runId, seq, ...scopeParams(scope) }) as { seq: number; event: string; data: string }[];
    return rows.map((row) => ({ seq: row.seq, event: row.event, data: JSON.parse(row.data) }));
  }

  /**
   * The data of the run's latest `event` before position `seq` (undefined when it has none, or
   * its thread is out of `scope`): what a compact event refers to, for a stream that starts after it.
   */
  lastBefore(runId: string, event: string, seq: number, scope: ThreadScope): unknown {
    const row = this.db
      .prepare(
        `SELECT e.data FROM run_events e
         JOIN runs r ON r.run_id = e.run_id
         JOIN threads t ON t.thread_id = r.thread_id
         WHERE e.run_id = @runId AND e.event = @event AND e.seq < @seq AND ${IN_SCOPE}
         ORDER BY e.seq DESC LIMIT 1`,
      )
      .get({ runId, event, seq, ...scopeParams(scope) }) as { data: string } | undefined;
    return row === undefined ? undefined : JSON.parse(row.data);
  }

  /**
   * Resolves once the run has an event after `seq` (at once if it has one already), after
   * `timeoutMs`, or when `signal` aborts.
   */
  next(runId: string, seq: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.signal.off(runId, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.signal.once(runId, done);
      signal?.addEventListener('abort', done, { once: true });
      // Subscribed first, checked second: an event written in between is not missed.
      if (signal?.aborted || this.latest(runId) > seq) done();
    });
  }

  private latest(runId: string): number {
    const row = this.db
      .prepare(`SELECT COALESCE(MAX(seq), 0) AS seq FROM run_events WHERE run_id = ?`)
      .get(runId) as { seq: number };
    return row.seq;
  }
}
