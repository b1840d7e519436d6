import type { PoolStats } from './types.js';
import type { WorkerProcess, WorkerState } from './worker-process.js';

/** A worker as its pool sees it. */
export interface Slot {
  worker: WorkerProcess;
  /** When its last call ended (performance.now()). */
  idleSince: number;
  idleTimer?: NodeJS.Timeout;
  /** Calls it completed successfully: a worker that served one has proven its bundle works. */
  served: number;
}

/** The workers of one pool and the questions scaling asks of them. */
export class WorkerSet implements Iterable<Slot> {
  private readonly slots = new Set<Slot>();

  constructor(private readonly concurrency: number) {}

  get size(): number {
    return this.slots.size;
  }

  [Symbol.iterator](): Iterator<Slot> {
    return this.slots[Symbol.iterator]();
  }

  add(slot: Slot): void {
    this.slots.add(slot);
  }

  delete(slot: Slot): void {
    this.slots.delete(slot);
  }

  /** The oldest ready worker with a free slot: packing calls lets the others go idle and stop. */
  free(): Slot | undefined {
    for (const slot of this.slots) {
      const { worker } = slot;
      if (worker.currentState === 'ready' && worker.inFlight < this.concurrency) return slot;
    }
    return undefined;
  }

  find(state: WorkerState): Slot | undefined {
    for (const slot of this.slots) if (slot.worker.currentState === state) return slot;
    return undefined;
  }

  count(state: WorkerState): number {
    let count = 0;
    for (const slot of this.slots) if (slot.worker.currentState === state) count += 1;
    return count;
  }

  /** Workers that are or will be able to take calls (ready or starting). */
  live(): number {
    return this.count('ready') + this.count('starting');
  }

  counts(): { workers: PoolStats['workers']; pids: number[] } {
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
    return { workers, pids };
  }
}
