import { randomUUID } from 'node:crypto';
import { AtolyeError, errorCodeOf, errorMessage } from '../errors.js';
import { withLogContext } from '../logging/index.js';
import type { ChannelLogger } from '../logging/record.js';
import { ownerOf, scopeOf, type Caller } from './api/access.js';
import { ASSISTANT_ID, type RunCreate } from './api/schemas.js';
import {
  RUN_FIELDS,
  type CronRunPayload,
  type CronUpdate,
  type NewCronBody,
} from './api/schemas-crons.js';
import { findThread } from './api/serialize.js';
import { nextRun } from './cron-schedule.js';
import type { CronChanges, CronRecord, CronsStore } from './crons-store.js';
import type { RunRecord, RunsStore, ThreadScope } from './runs-store.js';

/** Starts a run as the run API does (routes/runs.ts createRun): webhooks, strategy, ownership. */
export type StartRun = (caller: Caller, threadId: string, body: RunCreate) => Promise<RunRecord>;

export interface CronSchedulerOptions {
  crons: CronsStore;
  runs: RunsStore;
  startRun: StartRun;
  /** Resolves with the run once it has ended (or, after the executor closed, as it was left). */
  waitFor: (runId: string) => Promise<RunRecord>;
  /** Removes a thread with its runs and files (thread-removal.ts), for `on_run_completed: "delete"`. */
  removeThread: (threadId: string) => Promise<void>;
  /** The `system` channel: every firing, skip and failure is a line there. */
  logger: ChannelLogger;
  /** The clock; tests move it instead of waiting. */
  now?: () => Date;
  /** The longest sleep between two looks at the store (a clock that jumps is noticed by then). */
  maxSleepMs?: number;
}

/**
 * Fires the stored crons when they are due. A firing starts one run through `startRun` and is
 * skipped (with a line in `system`) while the cron's previous run is still pending or running,
 * so one cron never has two runs at once. A thread cron whose thread is gone deletes itself. A
 * firing missed while the orchestrator was stopped happens once when it starts again. The thread
 * a firing of an `on_run_completed: "delete"` cron made is removed when its run ends, or, if the
 * orchestrator stopped first, at the cron's next firing.
 */
export class CronScheduler {
  readonly store: CronsStore;
  private readonly options: CronSchedulerOptions;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** Whether the timer runs (start() to stop()); tick() alone serves tests with their clock. */
  private running = false;
  private stopped = false;
  /** Counts wake() calls: only the latest one's timer is set. */
  private wakes = 0;
  /** The wake() calls still reading when the next cron is due. */
  private readonly waking = new Set<Promise<void>>();

  constructor(options: CronSchedulerOptions) {
    this.options = options;
    this.store = options.crons;
    this.now = options.now ?? (() => new Date());
  }

  /** Creates a cron owned by `caller`'s owner, on `threadId` or (null) on a new thread each time. */
  async create(caller: Caller, threadId: string | null, body: NewCronBody): Promise<CronRecord> {
    const key = { id: caller.id, name: caller.name, team: caller.team };
    if (threadId !== null) {
      const thread = await findThread(this.options.runs, threadId, scopeOf(caller));
      if (!(await this.options.runs.thread(threadId, scopeOf(firingCaller(key))))) {
        throw new AtolyeError(
          'INVALID_REQUEST',
          `thread ${threadId} belongs to ${thread.owner ?? 'no one'}, and a cron runs as the key that creates it, without admin rights: create it with a key of ${thread.owner ?? 'the thread'}`,
        );
      }
    }
    const endTime = this.endTime(body.end_time);
    const enabled = body.enabled ?? true;
    const cron = await this.store.insert({
      cronId: randomUUID(),
      threadId,
      owner: ownerOf(caller),
      key,
      schedule: body.schedule,
      endTime,
      enabled,
      onRunCompleted: threadId === null ? (body.on_run_completed ?? 'keep') : null,
      payload: runPayload(body, { input: body.input }),
      metadata: body.metadata ?? {},
      nextRunDate: this.nextRunDate(body.schedule, enabled, endTime),
    });
    this.options.logger.info(`cron ${cron.cronId} created: ${cron.schedule} (UTC)`, {
      cronId: cron.cronId,
      threadId: threadId ?? undefined,
      owner: cron.owner,
      nextRunDate: cron.nextRunDate,
    });
    this.wake();
    return cron;
  }

  /** Changes the cron `cronId` in `scope`; fields left out stay as they were. */
  async update(cronId: string, scope: ThreadScope, body: CronUpdate): Promise<CronRecord> {
    const cron = await this.find(cronId, scope);
    if (body.on_run_completed !== undefined && cron.threadId !== null) {
      throw new AtolyeError(
        'INVALID_REQUEST',
        `on_run_completed applies only to crons without a thread; cron ${cronId} runs on thread ${cron.threadId}`,
      );
    }
    const schedule = body.schedule ?? cron.schedule;
    const enabled = body.enabled ?? cron.enabled;
    const endTime = body.end_time === undefined ? cron.endTime : this.endTime(body.end_time);
    const changes: CronChanges = {
      schedule,
      enabled,
      endTime,
      onRunCompleted: body.on_run_completed,
      payload: runPayload(body, cron.payload),
      metadata: body.metadata,
      nextRunDate: this.nextRunDate(schedule, enabled, endTime),
    };
    const updated = (await this.store.update(cronId, changes)) as CronRecord;
    this.wake();
    return updated;
  }

  async delete(cronId: string, scope: ThreadScope): Promise<void> {
    await this.store.delete((await this.find(cronId, scope)).cronId);
    this.wake();
  }

  /** The cron `cronId` if `scope` may see it; CRON_NOT_FOUND otherwise (the same either way). */
  async find(cronId: string, scope: ThreadScope): Promise<CronRecord> {
    const cron = await this.store.get(cronId, scope);
    if (!cron) {
      throw new AtolyeError(
        'CRON_NOT_FOUND',
        `no cron ${cronId}; POST /runs/crons/search lists yours`,
      );
    }
    return cron;
  }

  /** Starts firing: now for what is overdue, then as each cron comes due. */
  start(): void {
    this.running = true;
    this.wake();
  }

  /** Stops firing; resolves once a firing under way has started its run. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all(this.waking);
    await this.ticking;
  }

  /** Fires every cron due now, one after another. */
  async tick(): Promise<void> {
    const now = this.now().toISOString();
    for (const { cronId } of await this.store.due(now)) {
      // Read again: an earlier firing's await let a request change or delete it.
      const cron = await this.store.get(cronId, { all: true });
      if (this.stopped) return;
      if (!cron || cron.nextRunDate === null || cron.nextRunDate > now) continue;
      // Moved on before the firing: a firing that fails is not tried again at once, in a loop.
      // Only the orchestrator that moves it fires it, when several share the store.
      const next = this.nextRunDate(cron.schedule, cron.enabled, cron.endTime);
      if (!(await this.store.advance(cron.cronId, cron.nextRunDate, next))) continue;
      await this.fire(cron);
    }
  }

  /** Sets the timer for the next due cron; after a tick, the tick's end does it. */
  private wake(): void {
    if (!this.running || this.ticking) return;
    const waking = this.setTimer(++this.wakes).finally(() => this.waking.delete(waking));
    this.waking.add(waking);
  }

  private async setTimer(wake: number): Promise<void> {
    const maxSleep = this.options.maxSleepMs ?? 60_000;
    let next: string | null = null;
    try {
      next = await this.store.earliestNextRun();
    } catch (error) {
      // The store is unreachable for now: look again after the longest sleep.
      const message = `crons: cannot read when the next cron is due: ${errorMessage(error)}`;
      this.options.logger.error(message, { err: error });
    }
    // A later wake (a cron changed meanwhile), a tick or stop() came first: theirs stands.
    if (wake !== this.wakes || !this.running || this.ticking) return;
    clearTimeout(this.timer);
    const wait = next === null ? maxSleep : Date.parse(next) - this.now().getTime();
    this.timer = setTimeout(
      () => {
        this.ticking = this.tick()
          .catch((error: unknown) => {
            this.options.logger.error(`crons: a tick failed: ${errorMessage(error)}`, {
              err: error,
            });
          })
          .finally(() => {
            this.ticking = undefined;
            this.wake();
          });
      },
      Math.min(Math.max(wait, 0), maxSleep),
    );
    // The server holds the process open; a forgotten scheduler must not.
    this.timer.unref();
  }

  private async fire(cron: CronRecord): Promise<void> {
    const { logger, runs } = this.options;
    const fields = { cronId: cron.cronId, threadId: cron.threadId ?? undefined };
    const previous = cron.lastRunId === null ? undefined : await runs.get(cron.lastRunId);
    if (previous && (previous.status === 'pending' || previous.status === 'running')) {
      logger.warn(
        `cron ${cron.cronId} skipped this firing: its previous run ${previous.runId} is still ${previous.status}`,
        { ...fields, threadId: previous.threadId, runId: previous.runId },
      );
      return;
    }
    if (previous && cron.onRunCompleted === 'delete') await this.removeThreadOf(cron, previous);
    if (cron.threadId !== null && !(await runs.thread(cron.threadId, { all: true }))) {
      await this.store.delete(cron.cronId);
      logger.warn(
        `cron ${cron.cronId} deleted: its thread ${cron.threadId} no longer exists`,
        fields,
      );
      return;
    }
    const threadId = cron.threadId ?? randomUUID();
    await withLogContext({ threadId }, async () => {
      try {
        const run = await this.options.startRun(firingCaller(cron.key), threadId, {
          ...cron.payload,
          assistant_id: ASSISTANT_ID,
          metadata: { ...cron.metadata, cron_id: cron.cronId },
          // A cron without a thread makes one per firing, owned as the cron is.
          if_not_exists: cron.threadId === null ? 'create' : undefined,
        });
        await this.store.setLastRun(cron.cronId, run.runId);
        logger.info(`cron ${cron.cronId} started run ${run.runId} on thread ${threadId}`, {
          ...fields,
          threadId,
          runId: run.runId,
        });
        if (cron.onRunCompleted === 'delete') {
          // A run left unfinished by a stop is resumed by the next start, whose next firing of
          // this cron removes the thread instead.
          void this.options.waitFor(run.runId).then(
            (ended) => (this.stopped ? undefined : this.removeThreadOf(cron, ended)),
            () => undefined,
          );
        }
      } catch (error) {
        logger.warn(`cron ${cron.cronId} started no run: ${errorMessage(error)}`, {
          ...fields,
          threadId,
          code: errorCodeOf(error),
        });
      }
    });
  }

  /** Removes the thread of `run`, a run of `cron` that has ended; a failure is a line. */
  private async removeThreadOf(cron: CronRecord, run: RunRecord): Promise<void> {
    try {
      if (!(await this.options.runs.thread(run.threadId, { all: true }))) return;
      await this.options.removeThread(run.threadId);
      this.options.logger.info(`cron ${cron.cronId} removed thread ${run.threadId} of its run`, {
        cronId: cron.cronId,
        threadId: run.threadId,
        runId: run.runId,
      });
    } catch (error) {
      this.options.logger.warn(
        `cron ${cron.cronId} left thread ${run.threadId} behind: ${errorMessage(error)}`,
        { cronId: cron.cronId, threadId: run.threadId, runId: run.runId },
      );
    }
  }

  /** `end_time` as stored: UTC, and not in the past (a cron that could never fire is refused). */
  private endTime(endTime: string | null | undefined): string | null {
    if (endTime === undefined || endTime === null) return null;
    const at = new Date(endTime);
    if (at.getTime() <= this.now().getTime()) {
      throw new AtolyeError(
        'INVALID_REQUEST',
        `end_time ${endTime} has passed: the cron would never fire; send a later time or none`,
      );
    }
    return at.toISOString();
  }

  private nextRunDate(schedule: string, enabled: boolean, endTime: string | null): string | null {
    return enabled ? (nextRun(schedule, this.now(), endTime)?.toISOString() ?? null) : null;
  }
}

/** `base` with the run fields `body` sets; a null webhook removes it. */
function runPayload(
  body: Partial<Record<keyof CronRunPayload, unknown>>,
  base: CronRunPayload,
): CronRunPayload {
  const payload: Record<string, unknown> = { ...base };
  for (const field of RUN_FIELDS) {
    if (body[field] === null) delete payload[field];
    else if (body[field] !== undefined) payload[field] = body[field];
  }
  return payload as CronRunPayload;
}

/**
 * Who a firing acts as: the key that made the cron, as a request of that key is, but never with
 * admin rights, so its scope is its owner's threads and no more.
 */
function firingCaller(key: CronRecord['key']): Caller {
  return { id: key.id, name: key.name, team: key.team, admin: false };
}
