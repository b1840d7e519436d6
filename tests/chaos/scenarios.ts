import type { Product } from '../performance/stack.js';
import type { Fault } from './injector.js';
import type { LogDisk } from './log-disk.js';
import { MODEL_FAULTS, type ModelFront } from './model-front.js';
import { orchestrator, send, workers } from './victims.js';

/** What a scenario's faults act on: the product of its round, the model front, the log disk. */
export interface ScenarioContext {
  product: Product;
  front: ModelFront;
  /** The deployed functions, to tell workers among the host's children. */
  functions: readonly string[];
  /** Present when the scenario asked for one (`logDiskMb`). */
  logDisk?: LogDisk;
}

/** One round of runs under one kind of fault. */
export interface Scenario {
  name: string;
  /** The fault and its rhythm, for the table's title. */
  description: string;
  /** The product's log folder on a tmpfs of this many MB, which the faults may fill. */
  logDiskMb?: number;
  faults(ctx: ScenarioContext): Fault[];
  /**
   * The share of runs (%) that must end `success`: the fault is one the product is meant to
   * absorb. Undefined where runs may fail by design (the model keeps failing): then only "no run
   * lost, every failure with a clear code, logged and reported once" is held.
   */
  successTarget?: number;
  /** What the product is meant to do under this fault: printed beside the figures. */
  promise: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T | undefined =>
  items[Math.floor(Math.random() * items.length)];

/** SIGKILL or SIGTERM to the orchestrator the host runs now (which restarts it). */
const signalOrchestrator = (ctx: ScenarioContext, signal: NodeJS.Signals): Fault => ({
  name: `${signal} orchestrator`,
  everyMs: { min: 15_000, max: 25_000 },
  firstMs: { min: 5_000, max: 10_000 },
  async apply() {
    const victim = await orchestrator(ctx.product);
    if (!victim) return 'orchestrator not running (restarting)';
    return send(victim.pid, signal) ? `${signal} orchestrator` : 'orchestrator already gone';
  },
});

const PAUSE_MS = 3_000;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'worker-kill',
    description: 'SIGKILL to a random worker of the host every 500 ms',
    faults: (ctx) => [
      {
        name: 'SIGKILL worker',
        everyMs: { min: 500, max: 500 },
        async apply() {
          const victim = pick(await workers(ctx.product.hostPid, ctx.functions));
          if (!victim) return 'no worker alive';
          return send(victim.pid, 'SIGKILL') ? `SIGKILL ${victim.role}` : 'worker already gone';
        },
      },
    ],
    successTarget: 99,
    promise:
      'a killed worker fails its calls 502 retryable and is replaced; the step retry absorbs it (≥ 99 % of runs succeed)',
  },
  {
    name: 'orchestrator-kill',
    description: 'SIGKILL to the orchestrator 5–10 s in, then every 15–25 s (the host restarts it)',
    faults: (ctx) => [signalOrchestrator(ctx, 'SIGKILL')],
    successTarget: 99,
    promise:
      'runs are checkpointed after every step: the restarted orchestrator takes them over once their lease lapses',
  },
  {
    name: 'orchestrator-term',
    description: 'SIGTERM to the orchestrator 5–10 s in, then every 15–25 s (the host restarts it)',
    faults: (ctx) => [signalOrchestrator(ctx, 'SIGTERM')],
    successTarget: 99,
    promise:
      'a stopping orchestrator lets go of its runs; the restarted one resumes them from their checkpoints at once',
  },
  {
    name: 'model-faults',
    description: `the model server ${MODEL_FAULTS.join(' → ')}, rotating every 5 s (30 % of calls hit; refused = down)`,
    faults: (ctx) => {
      let next = 0;
      return [
        {
          name: 'model fault',
          everyMs: { min: 5_000, max: 5_000 },
          async apply() {
            const kind = MODEL_FAULTS[next % MODEL_FAULTS.length];
            next += 1;
            await ctx.front.setFault(kind);
            return `model ${kind ?? 'fine'}`;
          },
          undo: () => ctx.front.setFault(undefined),
        },
      ];
    },
    promise:
      'a model that keeps failing may fail a run, with a MODEL_… code after its retries: no run lost, every failure logged and reported once',
  },
  {
    name: 'log-disk-full',
    description: 'the log folder on a 16 MB tmpfs, filled up 5 s in and kept full',
    logDiskMb: 16,
    faults: (ctx) => [
      {
        name: 'fill the log disk',
        everyMs: { min: 5_000, max: 5_000 },
        async apply() {
          const disk = ctx.logDisk;
          if (!disk) return 'no log disk';
          const added = disk.fill();
          return added > 0 ? 'filled' : 'still full';
        },
        undo: async () => ctx.logDisk?.free(),
      },
    ],
    successTarget: 99,
    promise:
      'logging is not the work: runs go on when their lines cannot be written, and logging resumes once there is room',
  },
  {
    name: 'host-pause',
    description: `SIGSTOP to the worker host for ${PAUSE_MS / 1000} s, then SIGCONT, 2–4 s in, then every 8–12 s`,
    faults: (ctx) => [
      {
        name: 'pause the host',
        everyMs: { min: 8_000, max: 12_000 },
        firstMs: { min: 2_000, max: 4_000 },
        async apply() {
          if (!send(ctx.product.hostPid, 'SIGSTOP')) return 'host gone';
          await sleep(PAUSE_MS);
          send(ctx.product.hostPid, 'SIGCONT');
          return `paused ${PAUSE_MS / 1000} s`;
        },
        undo: async () => void send(ctx.product.hostPid, 'SIGCONT'),
      },
    ],
    successTarget: 99,
    promise:
      'a host that stalls for seconds delays the step calls in flight; they complete or are retried when it wakes',
  },
];

export const SCENARIO_NAMES: readonly string[] = SCENARIOS.map((scenario) => scenario.name);
