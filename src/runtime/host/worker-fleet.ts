import type { RestartBackoff } from './backoff.js';
import { outsideRequest, silentLogger, type HostLogger, type RecordStamp } from './log.js';
import { ABSORBED_KILLS, RestartGate } from './restart-gate.js';
import type { PoolSpec } from './types.js';
import { workerEnv } from './worker-env.js';
import type { WorkerExit } from './worker-exit.js';
import { WorkerProcess } from './worker-process.js';
import { WorkerSet, type Slot } from './worker-set.js';

export interface FleetDeps {
  /** `env` and `release` of the host: given to workers and stamped on their forwarded records. */
  stamp: RecordStamp;
  logger?: HostLogger;
  /** Where declared secrets are read from; the host's environment by default. */
  env?: NodeJS.ProcessEnv;
  /** The function's declared settings, resolved from the host's configuration. */
  settings?: Readonly<Record<string, unknown>>;
  /** Folder of the workers' V8 compile cache (see workerEnv); none by default. */
  compileCacheDir?: string;
  /** A worker that has not said `ready` by then is killed and counts as a failed start. */
  startTimeoutMs?: number;
  /** How long a stopping worker may finish its calls before it is killed. */
  stopGraceMs?: number;
  backoff?: RestartBackoff;
  /** A worker that served a call or stayed up this long was healthy: its crash restarts at once. */
  stableMs?: number;
}

export interface FleetEvents {
  /** A worker is ready for calls. */
  ready(slot: Slot): void;
  /** A worker exited, or a delayed start is due: time to look at the queue and the minimum. */
  changed(): void;
  /** While draining, idle workers are not retired one by one: the drain stops them all. */
  draining(): boolean;
}

/**
 * The worker processes of one pool: starting them (through the restart gate, so failing bundles
 * back off), noticing their start, death and idleness, and stopping them. Which call runs where
 * is the pool's business; this only keeps the processes.
 */
export class WorkerFleet {
  readonly workers: WorkerSet;
  readonly gate: RestartGate;
  readonly counters = { starts: 0, crashes: 0, timeouts: 0 };
  private readonly logger: HostLogger;
  private readonly env: NodeJS.ProcessEnv;
  private spawnTimer?: NodeJS.Timeout;

  constructor(
    private readonly spec: PoolSpec,
    private readonly deps: FleetDeps,
    private readonly events: FleetEvents,
  ) {
    this.logger = deps.logger ?? silentLogger;
    this.workers = new WorkerSet(spec.limits.concurrency);
    this.gate = new RestartGate(spec.name, deps.backoff);
    this.env = workerEnv({
      secrets: spec.secrets,
      settings: deps.settings,
      compileCacheDir: deps.compileCacheDir,
      release: deps.stamp.release,
      environment: deps.stamp.env,
      source: deps.env,
    });
  }

  /** A start is scheduled for when the restart gate opens. */
  get scheduled(): boolean {
    return this.spawnTimer !== undefined;
  }

  /** Starts a worker now, or when the restart gate opens if that is within `maxWaitMs`. */
  startOrSchedule(maxWaitMs: number): boolean {
    if (this.spawnTimer) return false;
    const waitMs = this.gate.waitMs();
    if (waitMs <= 0) {
      this.spawn();
      return true;
    }
    if (waitMs > maxWaitMs) return false;
    this.spawnTimer = outsideRequest(() =>
      setTimeout(() => {
        this.spawnTimer = undefined;
        this.events.changed();
      }, waitMs),
    );
    return true;
  }

  /** Forks a worker, outside any request's log context (it outlives the request). */
  spawn(): Slot {
    const { name } = this.spec;
    const slot = outsideRequest(() =>
      this.logger.withContext({ function: name }, () => {
        const created = { idleSince: 0, served: 0 } as Slot;
        created.worker = new WorkerProcess({
          functionName: name,
          bundlePath: this.spec.bundlePath,
          memoryMb: this.spec.limits.memoryMb,
          env: this.env,
          logger: this.logger,
          stamp: this.deps.stamp,
          startTimeoutMs: this.deps.startTimeoutMs ?? 10_000,
          onExit: (exit) => this.exited(created, exit),
        });
        return created;
      }),
    );
    this.workers.add(slot);
    this.counters.starts += 1;
    slot.worker.ready.then(
      () => {
        this.gate.workerReady();
        this.logger.system.info(`worker of ${name} started`, {
          function: name,
          worker: slot.worker.pid,
          startMs: round(slot.worker.startMs),
        });
        this.events.ready(slot);
      },
      () => undefined, // exited() reports it
    );
    return slot;
  }

  /** Notes that a worker's last call ended; it stops after `idleMs` without calls. */
  markIdle(slot: Slot): void {
    slot.idleSince = performance.now();
    if (this.events.draining() || slot.idleTimer) return;
    // Armed once; it re-arms itself for the remainder when the worker was used in between.
    slot.idleTimer = outsideRequest(() =>
      setTimeout(() => this.idleTimerFired(slot), this.spec.limits.idleMs),
    );
  }

  /** Stops every worker (gracefully; killed after the grace period) and any scheduled start. */
  stopAll(): void {
    clearTimeout(this.spawnTimer);
    this.spawnTimer = undefined;
    for (const slot of this.workers) {
      clearTimeout(slot.idleTimer);
      void slot.worker.stop(this.deps.stopGraceMs ?? 5_000);
    }
  }

  private idleTimerFired(slot: Slot): void {
    slot.idleTimer = undefined;
    const { worker } = slot;
    const { idleMs, minWorkers } = this.spec.limits;
    if (worker.currentState !== 'ready' || worker.inFlight > 0 || this.events.draining()) return;
    const idleForMs = performance.now() - slot.idleSince;
    if (idleForMs < idleMs) {
      slot.idleTimer = setTimeout(() => this.idleTimerFired(slot), idleMs - idleForMs);
      return;
    }
    if (this.workers.count('ready') <= minWorkers) return;
    this.logger.system.info(
      `stopping a worker of ${this.spec.name} idle for ${Math.round(idleForMs)} ms`,
      { function: this.spec.name, worker: worker.pid },
    );
    void worker.stop(this.deps.stopGraceMs ?? 5_000);
  }

  private exited(slot: Slot, exit: WorkerExit): void {
    this.workers.delete(slot);
    clearTimeout(slot.idleTimer);
    const { name } = this.spec;
    const fields = {
      function: name,
      worker: slot.worker.pid,
      code: exit.code,
      signal: exit.signal,
    };
    const proven = slot.served > 0 || exit.uptimeMs >= (this.deps.stableMs ?? 10_000);
    switch (exit.reason) {
      case 'stopped':
        this.logger.system.info(`worker of ${name} stopped`, fields);
        break;
      case 'timeout':
        this.counters.timeouts += 1;
        this.logger.system.warn(`worker of ${name} killed: ${exit.message}`, fields);
        break;
      case 'start-failed':
        this.startFailed(exit.message, fields);
        break;
      case 'crashed':
        this.counters.crashes += 1;
        this.crashed(exit, proven, exit.message, fields);
        break;
      case 'killed': {
        this.counters.crashes += 1;
        if (this.gate.killed(proven)) {
          // Not the bundle's fault: the pool starts a replacement for whatever waits, now.
          this.logger.system.warn(`worker of ${name} killed: ${exit.message}; replaced at once`, {
            ...fields,
            uptimeMs: round(exit.uptimeMs),
          });
          break;
        }
        // Workers killed again and again before serving anything: back off as for a bundle's fault.
        const message = `${exit.message}; more than ${ABSORBED_KILLS} workers in a row were killed before serving a call`;
        if (exit.wasStarting) this.startFailed(message, fields);
        else this.crashed(exit, false, message, fields);
        break;
      }
    }
    this.events.changed();
  }

  private startFailed(message: string, fields: Record<string, unknown>): void {
    this.gate.startFailed(message);
    this.logger.system.error(`worker of ${this.spec.name} failed to start: ${message}`, {
      ...fields,
      failures: this.gate.failureCount,
      retryInMs: this.gate.delayMs(),
    });
  }

  private crashed(
    exit: WorkerExit,
    proven: boolean,
    message: string,
    fields: Record<string, unknown>,
  ): void {
    this.gate.crashed(message, proven);
    this.logger.system.error(`worker of ${this.spec.name} crashed: ${message}`, {
      ...fields,
      uptimeMs: round(exit.uptimeMs),
    });
  }
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 10) / 10;
}
