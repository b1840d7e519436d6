import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../errors.js';
import type { CallMeta, InvocationMeta } from '../contract.js';
import { functionDraining, hostFault, queueFull, type HostFailure } from './failures.js';
import { Fifo } from './fifo.js';
import { silentLogger, type HostLogger } from './log.js';
import type {
  HostInvokeFailure,
  HostInvokeOutcome,
  Pool,
  PoolHealth,
  PoolSpec,
  PoolStats,
  WorkerPing,
} from './types.js';
import { WorkerFleet, type FleetDeps } from './worker-fleet.js';
import type { WorkerReply } from './worker-process.js';
import type { Slot } from './worker-set.js';

export interface PoolDeps extends FleetDeps {
  /** Longest a call waits for a delayed restart; beyond it the call is refused with 503 at once. */
  maxStartWaitMs?: number;
}

interface Waiting {
  input: unknown;
  meta: InvocationMeta;
  started: number;
  resolve(result: HostInvokeOutcome): void;
}

/**
 * The calls of one function version and where they run, with serverless semantics: reuse warm
 * workers, run `concurrency` calls per worker, start workers on demand up to `maxWorkers` (a call
 * that waits for one is a cold start), queue up to `queueSize` calls and refuse the rest with
 * 429. Idle workers stop after `idleMs` down to `minWorkers`; failing ones restart with backoff
 * (see WorkerFleet).
 */
export class FunctionPool implements Pool {
  private readonly fleet: WorkerFleet;
  private readonly queue = new Fifo<Waiting>();
  private readonly counters = { invocations: 0, coldStarts: 0 };
  private inFlight = 0;
  private averageCallMs = 100;
  private draining = false;
  private drained?: Promise<void>;
  private resolveDrained?: () => void;
  private readonly logger: HostLogger;

  constructor(
    readonly spec: PoolSpec,
    private readonly deps: PoolDeps,
  ) {
    this.logger = deps.logger ?? silentLogger;
    // These run from timers and process events: a throw there would end the host, so it is
    // logged instead (the calls it concerned are failed where they are dispatched).
    this.fleet = new WorkerFleet(spec, deps, {
      ready: (slot) => this.guarded('dispatching to a ready worker', () => this.workerReady(slot)),
      changed: () => this.guarded('rebalancing the pool', () => this.reconcile()),
      draining: () => this.draining,
    });
  }

  /** Starts `minWorkers`; resolves once each is ready or has failed. */
  async start(): Promise<void> {
    this.reconcile();
    const starting = [...this.fleet.workers].map((slot) =>
      slot.worker.ready.catch(() => undefined),
    );
    await Promise.all(starting);
  }

  invoke(input: unknown, meta: CallMeta = {}): Promise<HostInvokeOutcome> {
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
    if (this.draining) return refuse(functionDraining(this.spec.name), started);
    const slot = this.fleet.workers.free();
    if (slot) return this.run(slot, input, full, started, false);
    return this.admit(input, full, started);
  }

  health(): PoolHealth {
    const problem = this.fleet.workers.count('ready') > 0 ? undefined : this.fleet.gate.problem();
    return problem === undefined ? { status: 'pass' } : { status: 'fail', output: problem };
  }

  /** Pings a worker, starting one first when none is running (within the same timeout). */
  async healthCheck(timeoutMs = 5_000): Promise<WorkerPing> {
    if (this.draining) return { ok: false, reason: `${this.spec.name} is draining` };
    const started = performance.now();
    const { workers, gate } = this.fleet;
    let slot = workers.free() ?? workers.find('ready');
    while (!slot) {
      slot = workers.find('starting');
      if (!slot) {
        if (gate.waitMs() > 0) return { ok: false, reason: gate.waitReason() };
        slot = this.fleet.spawn();
      }
      const late = await within(slot.worker.ready, timeoutMs - (performance.now() - started));
      if (late === undefined) break;
      // A worker killed from outside while it started is no verdict on the bundle: check the
      // next one, within the same timeout.
      const { worker } = slot;
      const killed = worker.currentState === 'exited' && (await worker.exited).reason === 'killed';
      if (!killed || this.draining || performance.now() - started >= timeoutMs) {
        return { ok: false, reason: late };
      }
      slot = undefined;
    }
    try {
      const left = Math.max(1, timeoutMs - (performance.now() - started));
      const rssBytes = await slot.worker.ping(left);
      const latencyMs = performance.now() - started;
      return { ok: true, worker: slot.worker.pid, rssBytes, latencyMs };
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
    return {
      name: this.spec.name,
      version: this.spec.version,
      draining: this.draining,
      health: this.health(),
      ...this.fleet.workers.counts(),
      queued: this.queue.length,
      inFlight: this.inFlight,
      ...this.counters,
      ...this.fleet.counters,
    };
  }

  private run(
    slot: Slot,
    input: unknown,
    meta: InvocationMeta,
    started: number,
    coldStart: boolean,
  ): Promise<HostInvokeOutcome> {
    this.inFlight += 1;
    if (coldStart) this.counters.coldStarts += 1;
    const { worker } = slot;
    let replied: Promise<WorkerReply>;
    try {
      replied = worker.invoke(input, meta, this.spec.limits.timeoutMs);
    } catch (error) {
      replied = Promise.reject(error);
    }
    // invoke() answers every failure with a reply; a throw or a rejection is a fault of the host,
    // and it fails this call rather than escaping from a queued dispatch into the event loop.
    return replied.then(
      (reply) => this.finished(slot, reply, started, coldStart),
      (error: unknown) =>
        this.finished(slot, { ok: false, ...this.fault('a call', error) }, started, coldStart),
    );
  }

  private finished(
    slot: Slot,
    reply: WorkerReply,
    started: number,
    coldStart: boolean,
  ): HostInvokeOutcome {
    const { worker } = slot;
    this.inFlight -= 1;
    this.counters.invocations += 1;
    const durationMs = performance.now() - started;
    this.averageCallMs += (durationMs - this.averageCallMs) / 8;
    if (reply.ok) {
      slot.served += 1;
      this.fleet.gate.callSucceeded();
    }
    this.guarded('rebalancing the pool after a call', () => {
      if (worker.inFlight === 0 && worker.currentState === 'ready') this.fleet.markIdle(slot);
      if (this.queue.length > 0 || this.draining) this.reconcile();
    });
    const pid = worker.pid;
    if (reply.ok) return { ok: true, output: reply.output, durationMs, coldStart, worker: pid };
    const { status, error, retryAfterS } = reply;
    const failure: HostInvokeFailure = {
      ok: false,
      status,
      error,
      durationMs,
      coldStart,
      worker: pid,
    };
    if (retryAfterS !== undefined) failure.retryAfterS = retryAfterS;
    return failure;
  }

  /** No free slot: queue the call, starting a worker for it when the pool may grow. */
  private admit(input: unknown, meta: InvocationMeta, started: number): Promise<HostInvokeOutcome> {
    this.provision(this.queue.length + 1);
    const live = this.fleet.workers.live();
    if (live === 0 && !this.fleet.scheduled) return refuse(this.fleet.gate.refusal(), started);
    const { queueSize, concurrency } = this.spec.limits;
    if (this.queue.length >= queueSize + this.provisionedSlots()) {
      // Roughly when a slot frees up for this caller, from the recent call durations.
      const waitS =
        (this.averageCallMs * (this.queue.length + 1)) / Math.max(1, live * concurrency) / 1000;
      const failure = queueFull(this.spec.name, queueSize, Math.max(1, Math.ceil(waitS)));
      return refuse(failure, started);
    }
    return new Promise<HostInvokeOutcome>((resolve) => {
      this.queue.push({ input, meta, started, resolve });
    });
  }

  /** Brings the pool in line with its queue, its minimum and a drain in progress. */
  private reconcile(): void {
    const { workers } = this.fleet;
    for (let slot = workers.free(); slot && this.queue.length > 0; slot = workers.free()) {
      this.dispatchQueued(slot, false);
    }
    if (this.queue.length > 0) this.provision(this.queue.length);
    const { minWorkers } = this.spec.limits;
    while (!this.draining && workers.live() + (this.fleet.scheduled ? 1 : 0) < minWorkers) {
      if (!this.fleet.startOrSchedule(Number.POSITIVE_INFINITY)) break;
    }
    // Nothing is running, starting or scheduled: the queued calls would wait forever.
    if (this.queue.length > 0 && workers.live() === 0 && !this.fleet.scheduled) {
      const refusal = this.fleet.gate.refusal();
      for (const waiting of this.queue.drain()) {
        void refuse(refusal, waiting.started).then(waiting.resolve);
      }
    }
    if (this.draining && this.queue.length === 0 && this.inFlight === 0) {
      this.fleet.stopAll();
      if (workers.size === 0) this.resolveDrained?.();
    }
  }

  /** A worker is ready: the calls that waited while it started are its cold starts. */
  private workerReady(slot: Slot): void {
    const { worker } = slot;
    while (this.queue.length > 0 && worker.inFlight < this.spec.limits.concurrency) {
      this.dispatchQueued(slot, true);
    }
    if (worker.inFlight === 0) this.fleet.markIdle(slot);
    this.reconcile();
  }

  private dispatchQueued(slot: Slot, coldStart: boolean): void {
    const waiting = this.queue.shift();
    if (!waiting) return;
    const { input, meta, started, resolve } = waiting;
    // run() never rejects: nothing here may escape into the event loop, which would end the host.
    void this.run(slot, input, meta, started, coldStart).then(resolve);
  }

  /** Runs a step of the pool's own bookkeeping; a throw is logged as a host fault. */
  private guarded(what: string, step: () => void): void {
    try {
      step();
    } catch (error) {
      this.fault(what, error);
    }
  }

  /** Logs a fault of the host while handling `what` and words it as the failure of a call. */
  private fault(what: string, error: unknown): HostFailure {
    const { name } = this.spec;
    this.logger.system.error(
      `the pool of ${name} failed while handling ${what}: ${errorMessage(error)}`,
      {
        function: name,
        err: error,
      },
    );
    return hostFault(name, errorMessage(error));
  }

  /** Starts (or schedules) workers until `waiting` calls have a slot coming, within maxWorkers. */
  private provision(waiting: number): void {
    const maxWaitMs = this.fleet.gate.callerWaitMs(this.deps.maxStartWaitMs ?? 1_000);
    const { maxWorkers } = this.spec.limits;
    while (
      waiting > this.provisionedSlots() &&
      this.fleet.workers.live() + (this.fleet.scheduled ? 1 : 0) < maxWorkers
    ) {
      if (!this.fleet.startOrSchedule(maxWaitMs)) break;
    }
  }

  /** Slots of workers still starting, plus one worker's worth for a scheduled start. */
  private provisionedSlots(): number {
    const starting = this.fleet.workers.count('starting') + (this.fleet.scheduled ? 1 : 0);
    return starting * this.spec.limits.concurrency;
  }
}

function refuse(failure: HostFailure, started: number): Promise<HostInvokeOutcome> {
  const durationMs = performance.now() - started;
  return Promise.resolve({ ok: false, ...failure, durationMs, coldStart: false });
}

/** undefined once `promise` resolves; otherwise its rejection's message, or a timeout message. */
async function within(promise: Promise<unknown>, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no worker was ready within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([promise.then(() => undefined), late]);
  } catch (error) {
    return errorMessage(error);
  } finally {
    clearTimeout(timer);
  }
}
