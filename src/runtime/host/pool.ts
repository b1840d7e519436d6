import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../errors.js';
import type { InvocationMeta } from '../contract.js';
import { DEFAULT_RESTART_BACKOFF, restartDelay, type RestartBackoff } from './backoff.js';
import {
  functionDraining,
  functionUnavailable,
  queueFull,
  workerStartFailed,
  type HostFailure,
} from './failures.js';
import { Fifo } from './fifo.js';
import { outsideRequest, silentLogger, type HostLogger, type RecordStamp } from './log.js';
import type { CallMeta, HealthCheck, InvokeResult, Pool, PoolHealth, PoolSpec, PoolStats } from './types.js';
import { workerEnv } from './worker-env.js';
import { WorkerProcess, type WorkerExit } from './worker-process.js';

export interface PoolDeps {
  /** `env` and `release` of the host: given to workers and stamped on their forwarded records. */
  stamp: RecordStamp;
  logger?: HostLogger;
  /** Where declared secrets are read from; the host's environment by default. */
  env?: NodeJS.ProcessEnv;
  /** A worker that has not said `ready` by then is killed and counts as a failed start. */
  startTimeoutMs?: number;
  /** How long a stopping worker may finish its calls before it is killed. */
  stopGraceMs?: number;
  backoff?: RestartBackoff;
  /** Longest a call waits for a delayed restart; beyond it the call is refused with 503 at once. */
  maxStartWaitMs?: number;
  /** A worker that served a call or stayed up this long was healthy: its crash restarts at once. */
  stableMs?: number;
}

interface Slot {
  worker: WorkerProcess;
  idleSince: number;
  idleTimer?: NodeJS.Timeout;
  served: number;
}

interface Waiting {
  input: unknown;
  meta: InvocationMeta;
  started: number;
  resolve(result: InvokeResult): void;
}

/** Consecutive failed starts (or crashes of unproven workers) after which /readyz fails. */
const UNHEALTHY_AFTER = 3;

/**
 * The workers of one function version, with serverless semantics: reuse warm workers, run
 * `concurrency` calls per worker, start workers on demand up to `maxWorkers` (a call that waits
 * for one is a cold start), queue up to `queueSize` calls and refuse the rest with 429, stop
 * workers idle for `idleMs` down to `minWorkers`, and restart failing workers with backoff.
 */
export class FunctionPool implements Pool {
  private readonly slots = new Set<Slot>();
  private readonly queue = new Fifo<Waiting>();
  private readonly logger: HostLogger;
  private readonly workerEnv: NodeJS.ProcessEnv;
  private readonly startTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly backoff: RestartBackoff;
  private readonly maxStartWaitMs: number;
  private readonly stableMs: number;
  private readonly counters = { invocations: 0, coldStarts: 0, starts: 0, crashes: 0, timeouts: 0 };
  private inFlight = 0;
  private averageCallMs = 100;
  private failures = 0;
  private nextStartAt = 0;
  private lastFailure?: string;
  private startFailing = false;
  private spawnTimer?: NodeJS.Timeout;
  private draining = false;
  private drained?: Promise<void>;
  private resolveDrained?: () => void;

  constructor(
    readonly spec: PoolSpec,
    private readonly deps: PoolDeps,
  ) {
    this.logger = deps.logger ?? silentLogger;
    this.workerEnv = workerEnv({
      secrets: spec.secrets,
      release: deps.stamp.release,
      environment: deps.stamp.env,
      source: deps.env,
    });
    this.startTimeoutMs = deps.startTimeoutMs ?? 10_000;
    this.stopGraceMs = deps.stopGraceMs ?? 5_000;
    this.backoff = deps.backoff ?? DEFAULT_RESTART_BACKOFF;
    this.maxStartWaitMs = deps.maxStartWaitMs ?? 1_000;
    this.stableMs = deps.stableMs ?? 10_000;
  }

  /** Starts `minWorkers`; resolves once each is ready or has failed. */
  async start(): Promise<void> {
    this.reconcile();
    await Promise.all([...this.slots].map((slot) => slot.worker.ready.catch(() => undefined)));
  }

  invoke(input: unknown, meta: CallMeta = {}): Promise<InvokeResult> {
    const started = performance.now();
    // A literal, not `{ ...meta, … }`: adding keys after a spread is slow on V8 11 (hot path).
    const full: InvocationMeta = {
      invocationId: meta.invocationId ?? randomUUID(),
      requestId: meta.requestId,
      threadId: meta.threadId,
      runId: meta.runId,
      step: meta.step,
      attempt: meta.attempt ?? 1,
    };
    if (this.draining) return Promise.resolve(this.refuse(functionDraining(this.spec.name), started));
    const slot = this.freeSlot();
    if (slot) return this.run(slot, input, full, started, false);
    return this.admit(input, full, started);
  }

  health(): PoolHealth {
    if (this.readyCount() > 0) return { status: 'pass' };
    if (this.startFailing || this.failures >= UNHEALTHY_AFTER) {
      return { status: 'fail', output: `workers of ${this.spec.name} fail to start: ${this.lastFailure}` };
    }
    return { status: 'pass' };
  }

  /** Pings a worker, starting one first when none is running (within the same timeout). */
  async healthCheck(timeoutMs = 5_000): Promise<HealthCheck> {
    if (this.draining) return { ok: false, reason: `${this.spec.name} is draining` };
    const started = performance.now();
    let slot = this.freeSlot() ?? [...this.slots].find((s) => s.worker.currentState === 'ready');
    if (!slot) {
      slot = [...this.slots].find((s) => s.worker.currentState === 'starting');
      if (!slot) {
        const waitMs = this.nextStartAt - performance.now();
        if (waitMs > 0) {
          return { ok: false, reason: `${this.lastFailure}; next start in ${Math.ceil(waitMs)} ms` };
        }
        slot = this.spawn();
      }
      const ready = await within(slot.worker.ready, timeoutMs, `no worker was ready within ${timeoutMs} ms`);
      if (ready !== undefined) return { ok: false, reason: ready };
    }
    const left = Math.max(1, timeoutMs - (performance.now() - started));
    try {
      const rssBytes = await slot.worker.ping(left);
      return { ok: true, worker: slot.worker.pid, rssBytes, latencyMs: performance.now() - started };
    } catch (error) {
      return { ok: false, reason: errorMessage(error) };
    }
  }

  /** Takes no new calls, lets queued and running ones finish, then stops every worker. */
  drain(): Promise<void> {
    if (!this.drained) {
      this.draining = true;
      this.drained = new Promise<void>((resolve) => (this.resolveDrained = resolve));
      this.reconcile();
    }
    return this.drained;
  }

  stats(): PoolStats {
    const workers = { starting: 0, idle: 0, busy: 0, stopping: 0, total: 0 };
    const pids: number[] = [];
    for (const { worker } of this.slots) {
      const state = worker.currentState;
      if (state === 'starting') workers.starting += 1;
      else if (state === 'ready') workers[worker.inFlight > 0 ? 'busy' : 'idle'] += 1;
      else if (state === 'stopping') workers.stopping += 1;
      workers.total += 1;
      pids.push(worker.pid);
    }
    return {
      name: this.spec.name,
      version: this.spec.version,
      draining: this.draining,
      health: this.health(),
      workers,
      pids,
      queued: this.queue.length,
      inFlight: this.inFlight,
      ...this.counters,
    };
  }

  private run(slot: Slot, input: unknown, meta: InvocationMeta, started: number, coldStart: boolean): Promise<InvokeResult> {
    this.inFlight += 1;
    if (coldStart) this.counters.coldStarts += 1;
    const { worker } = slot;
    return worker.invoke(input, meta, this.spec.limits.timeoutMs).then((reply): InvokeResult => {
      this.inFlight -= 1;
      this.counters.invocations += 1;
      const durationMs = performance.now() - started;
      this.averageCallMs += (durationMs - this.averageCallMs) / 8;
      if (reply.ok) {
        slot.served += 1;
        if (this.failures > 0) this.recovered();
      }
      if (worker.inFlight === 0 && worker.currentState === 'ready') this.markIdle(slot);
      if (this.queue.length > 0 || this.draining) this.reconcile();
      return reply.ok
        ? { ok: true, output: reply.output, durationMs, coldStart, worker: worker.pid }
        : { ok: false, status: reply.status, error: reply.error, durationMs, coldStart, worker: worker.pid };
    });
  }

  /** No free slot: queue the call, starting a worker for it when the pool may grow. */
  private admit(input: unknown, meta: InvocationMeta, started: number): Promise<InvokeResult> {
    this.provision(this.queue.length + 1, this.startWaitMs());
    if (this.liveCount() === 0 && !this.spawnTimer) {
      return Promise.resolve(this.refuse(this.unavailable(), started));
    }
    if (this.queue.length >= this.spec.limits.queueSize + this.provisionedSlots()) {
      const slots = Math.max(1, this.liveCount() * this.spec.limits.concurrency);
      const retryAfterS = Math.max(1, Math.ceil((this.averageCallMs * (this.queue.length + 1)) / slots / 1000));
      return Promise.resolve(this.refuse(queueFull(this.spec.name, this.spec.limits.queueSize, retryAfterS), started));
    }
    return new Promise<InvokeResult>((resolve) => this.queue.push({ input, meta, started, resolve }));
  }

  /** Brings the pool in line with its queue, its minimum and a drain in progress. */
  private reconcile(): void {
    for (let slot = this.freeSlot(); slot && this.queue.length > 0; slot = this.freeSlot()) {
      this.dispatchQueued(slot, false);
    }
    if (this.queue.length > 0) this.provision(this.queue.length, this.startWaitMs());
    while (!this.draining && this.liveCount() + (this.spawnTimer ? 1 : 0) < this.spec.limits.minWorkers) {
      if (!this.startOrSchedule(Number.POSITIVE_INFINITY)) break;
    }
    if (this.queue.length > 0 && this.liveCount() === 0 && !this.spawnTimer) {
      const failure = this.unavailable();
      for (const waiting of this.queue.drain()) waiting.resolve(this.refuse(failure, waiting.started));
    }
    if (this.draining && this.queue.length === 0 && this.inFlight === 0) this.finishDrain();
  }

  private dispatchQueued(slot: Slot, coldStart: boolean): void {
    const waiting = this.queue.shift();
    if (waiting) void this.run(slot, waiting.input, waiting.meta, waiting.started, coldStart).then(waiting.resolve);
  }

  /** Starts (or schedules) workers until `waiting` calls have a slot coming, within maxWorkers. */
  private provision(waiting: number, maxWaitMs: number): void {
    while (
      waiting > this.provisionedSlots() &&
      this.liveCount() + (this.spawnTimer ? 1 : 0) < this.spec.limits.maxWorkers
    ) {
      if (!this.startOrSchedule(maxWaitMs)) break;
    }
  }

  /** Starts a worker now, or when the restart backoff allows if that is within `maxWaitMs`. */
  private startOrSchedule(maxWaitMs: number): boolean {
    if (this.spawnTimer) return false;
    const waitMs = this.nextStartAt - performance.now();
    if (waitMs <= 0) {
      this.spawn();
      return true;
    }
    if (waitMs > maxWaitMs) return false;
    this.spawnTimer = outsideRequest(() =>
      setTimeout(() => {
        this.spawnTimer = undefined;
        this.reconcile();
      }, waitMs),
    );
    return true;
  }

  private spawn(): Slot {
    const slot = outsideRequest(() =>
      this.logger.withContext({ function: this.spec.name }, () => {
        const created: Slot = { idleSince: 0, served: 0 } as Slot;
        created.worker = new WorkerProcess({
          functionName: this.spec.name,
          bundlePath: this.spec.bundlePath,
          memoryMb: this.spec.limits.memoryMb,
          env: this.workerEnv,
          logger: this.logger,
          stamp: this.deps.stamp,
          startTimeoutMs: this.startTimeoutMs,
          onExit: (exit) => this.onExit(created, exit),
        });
        return created;
      }),
    );
    this.slots.add(slot);
    this.counters.starts += 1;
    slot.worker.ready.then(
      () => this.onReady(slot),
      () => undefined, // onExit reports it
    );
    return slot;
  }

  private onReady(slot: Slot): void {
    const { worker } = slot;
    this.startFailing = false;
    this.logger.system.info(`worker of ${this.spec.name} started`, {
      function: this.spec.name,
      worker: worker.pid,
      startMs: round(worker.startMs),
      queued: this.queue.length,
    });
    // The calls that waited while it started are its cold starts.
    while (this.queue.length > 0 && worker.inFlight < this.spec.limits.concurrency) this.dispatchQueued(slot, true);
    if (worker.inFlight === 0) this.markIdle(slot);
    this.reconcile();
  }

  private onExit(slot: Slot, exit: WorkerExit): void {
    this.slots.delete(slot);
    clearTimeout(slot.idleTimer);
    const fields = { function: this.spec.name, worker: slot.worker.pid, code: exit.code, signal: exit.signal };
    switch (exit.reason) {
      case 'stopped':
        this.logger.system.info(`worker of ${this.spec.name} stopped`, fields);
        break;
      case 'timeout':
        this.counters.timeouts += 1;
        this.logger.system.warn(`worker of ${this.spec.name} killed: ${exit.message}`, fields);
        break;
      case 'start-failed':
        this.startFailing = true;
        this.recordFailure(exit.message);
        this.logger.system.error(`worker of ${this.spec.name} failed to start: ${exit.message}`, {
          ...fields,
          failures: this.failures,
          retryInMs: restartDelay(this.backoff, this.failures),
        });
        break;
      case 'crashed': {
        this.counters.crashes += 1;
        const proven = slot.served > 0 || exit.uptimeMs >= this.stableMs;
        if (proven) this.recovered();
        else this.recordFailure(exit.message);
        this.logger.system.error(`worker of ${this.spec.name} crashed: ${exit.message}`, { ...fields, uptimeMs: round(exit.uptimeMs) });
        break;
      }
    }
    this.reconcile();
  }

  private recordFailure(message: string): void {
    this.failures += 1;
    this.lastFailure = message;
    this.nextStartAt = performance.now() + restartDelay(this.backoff, this.failures);
  }

  private recovered(): void {
    this.failures = 0;
    this.nextStartAt = 0;
  }

  private markIdle(slot: Slot): void {
    slot.idleSince = performance.now();
    if (this.draining || slot.idleTimer) return;
    slot.idleTimer = outsideRequest(() => setTimeout(() => this.onIdleTimer(slot), this.spec.limits.idleMs));
  }

  private onIdleTimer(slot: Slot): void {
    slot.idleTimer = undefined;
    const { worker } = slot;
    if (worker.currentState !== 'ready' || worker.inFlight > 0 || this.draining) return;
    const idleForMs = performance.now() - slot.idleSince;
    if (idleForMs < this.spec.limits.idleMs) {
      slot.idleTimer = setTimeout(() => this.onIdleTimer(slot), this.spec.limits.idleMs - idleForMs);
      return;
    }
    if (this.readyCount() <= this.spec.limits.minWorkers) return;
    this.logger.system.info(`stopping a worker of ${this.spec.name} idle for ${Math.round(idleForMs)} ms`, {
      function: this.spec.name,
      worker: worker.pid,
    });
    void worker.stop(this.stopGraceMs);
  }

  private finishDrain(): void {
    clearTimeout(this.spawnTimer);
    this.spawnTimer = undefined;
    for (const slot of this.slots) {
      clearTimeout(slot.idleTimer);
      void slot.worker.stop(this.stopGraceMs);
    }
    if (this.slots.size === 0) this.resolveDrained?.();
  }

  /**
   * How long a call may wait for a delayed start. None while starts keep failing: each start is
   * attempted once per backoff window, on demand, instead of callers queueing behind a loop.
   */
  private startWaitMs(): number {
    return this.startFailing ? 0 : this.maxStartWaitMs;
  }

  private unavailable(): HostFailure {
    const retryAfterS = Math.max(1, Math.ceil((this.nextStartAt - performance.now()) / 1000));
    const reason = this.lastFailure ?? 'no worker could be started';
    return this.startFailing
      ? workerStartFailed(this.spec.name, reason, retryAfterS)
      : functionUnavailable(this.spec.name, reason, retryAfterS);
  }

  private refuse(failure: HostFailure, started: number): InvokeResult {
    return { ok: false, ...failure, durationMs: performance.now() - started, coldStart: false };
  }

  private freeSlot(): Slot | undefined {
    for (const slot of this.slots) {
      const { worker } = slot;
      if (worker.currentState === 'ready' && worker.inFlight < this.spec.limits.concurrency) return slot;
    }
    return undefined;
  }

  private readyCount(): number {
    let count = 0;
    for (const slot of this.slots) if (slot.worker.currentState === 'ready') count += 1;
    return count;
  }

  private liveCount(): number {
    let count = 0;
    for (const slot of this.slots) {
      const state = slot.worker.currentState;
      if (state === 'ready' || state === 'starting') count += 1;
    }
    return count;
  }

  /** Slots of workers still starting, plus one worker's worth for a scheduled start. */
  private provisionedSlots(): number {
    let starting = this.spawnTimer ? 1 : 0;
    for (const slot of this.slots) if (slot.worker.currentState === 'starting') starting += 1;
    return starting * this.spec.limits.concurrency;
  }
}

/** Resolves with `message` if `promise` has not settled in time, its rejection message, or undefined. */
async function within(promise: Promise<unknown>, timeoutMs: number, message: string): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(message), timeoutMs)));
  try {
    return await Promise.race([promise.then(() => undefined), timeout]);
  } catch (error) {
    return errorMessage(error);
  } finally {
    clearTimeout(timer);
  }
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 10) / 10;
}
