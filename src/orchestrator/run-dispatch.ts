import { AtolyeError, errorMessage } from '../errors.js';
import type { log } from '../logging/index.js';
import type { RunLeases } from './run-leases.js';
import type { RunRecord, RunsStore } from './runs-store.js';
import { FINISHED_STATUSES } from './status.js';

/**
 * Hands runs to this orchestrator: it takes free runs from the store (run-leases.ts) when asked
 * to (a run was queued here, one ended here) and every `pollMs` (runs queued by another
 * orchestrator, runs whose orchestrator died), executes each, and renews their leases every
 * third of a lease. A run whose lease it loses (after a missed heartbeat another orchestrator
 * took it) is stopped here without writing anything more.
 */

type Logger = ReturnType<typeof log>;

/** Runs taken in one sweep at most. */
const SWEEP_LIMIT = 32;

export interface DispatchOptions {
  leases: RunLeases;
  store: RunsStore;
  pollMs: number;
  /** Executes a run this orchestrator has taken; `stop` aborts when its lease is lost. */
  execute(runId: string, stop: AbortSignal): Promise<RunRecord>;
  log: Logger;
}

interface LocalRun {
  done: Promise<RunRecord>;
  stop: AbortController;
}

export class RunDispatcher {
  private readonly local = new Map<string, LocalRun>();
  private readonly timers: NodeJS.Timeout[];
  private sweeping: Promise<number> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: DispatchOptions) {
    this.timers = [
      setInterval(() => this.kick(), options.pollMs),
      setInterval(() => void this.heartbeat(), Math.max(10, options.leases.leaseMs / 3)),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** Looks for runs to take now (a failure is logged; the next poll tries again). */
  kick(): void {
    this.sweep().catch((error: unknown) => {
      this.options.log.warn('looking for runs to take failed; trying again shortly', {
        err: errorMessage(error),
      });
    });
  }

  /** Takes and starts every free run it can; how many it took. Sweeps never overlap. */
  async sweep(): Promise<number> {
    if (this.sweeping) {
      this.again = true;
      return this.sweeping;
    }
    this.sweeping = (async () => {
      let taken = 0;
      let batch: number;
      try {
        do {
          this.again = false;
          if (this.stopped) break;
          const ids = await this.options.leases.claim(SWEEP_LIMIT);
          for (const runId of ids) this.launch(runId);
          batch = ids.length;
          taken += batch;
        } while (this.again || batch === SWEEP_LIMIT);
      } finally {
        this.sweeping = undefined;
      }
      return taken;
    })();
    return this.sweeping;
  }

  /** Frees every unfinished run (see RunLeases.releaseEvery): for a store of this process alone. */
  releaseEvery(): Promise<number> {
    return this.options.leases.releaseEvery();
  }

  /** The stop signal of a run executing here; undefined for a run that is not. */
  stopOf(runId: string): AbortSignal | undefined {
    return this.local.get(runId)?.stop.signal;
  }

  /**
   * The run once it has ended, wherever it executes: at once from here when it runs here, else
   * by reading the store until it ends. After close(), the run as it was left.
   */
  async waitFor(runId: string): Promise<RunRecord> {
    let pause = 20;
    for (;;) {
      const here = this.local.get(runId);
      if (here) return here.done;
      const run = await this.options.store.get(runId);
      if (!run) throw new AtolyeError('RUN_NOT_FOUND', `no run ${runId}`);
      if (FINISHED_STATUSES.includes(run.status) || this.stopped) return run;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, this.options.pollMs);
    }
  }

  /**
   * Stops taking runs and waits for the runs executing here to return (the caller has aborted
   * them); their leases are released, so another orchestrator (or the next start) resumes them
   * at once instead of after their leases lapse.
   */
  async close(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.sweeping?.catch(() => undefined);
    await Promise.allSettled([...this.local.values()].map((run) => run.done));
    await this.options.leases.releaseAll();
  }

  private launch(runId: string): void {
    if (this.local.has(runId)) return;
    const stop = new AbortController();
    const done = this.options.execute(runId, stop.signal);
    this.local.set(runId, { done, stop });
    void done
      .catch(() => undefined)
      .finally(() => {
        this.local.delete(runId);
        // Its thread's next run may be free now.
        if (!this.stopped) this.kick();
      });
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.local.keys()];
    if (ids.length === 0 || this.stopped) return;
    let held: Set<string>;
    try {
      held = await this.options.leases.renew(ids);
    } catch (error) {
      this.options.log.warn('renewing run leases failed; trying again at the next heartbeat', {
        err: errorMessage(error),
      });
      return;
    }
    for (const runId of ids) {
      const run = this.local.get(runId);
      if (!run || held.has(runId)) continue;
      // Ended meanwhile (its lease went with it), or taken over: only the latter is still active.
      const record = await this.options.store.get(runId).catch(() => undefined);
      if (record && !FINISHED_STATUSES.includes(record.status) && this.local.get(runId) === run) {
        this.options.log.warn('run lease lost: another orchestrator has taken the run over', {
          runId,
        });
        run.stop.abort(
          new AtolyeError('RUN_LEASE_LOST', `run ${runId} was taken over by another orchestrator`),
        );
      }
    }
  }
}
