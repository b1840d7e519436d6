import { statfsSync } from 'node:fs';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry as PromRegistry,
} from 'prom-client';
import type { HostInvokeOutcome, Pool } from './types.js';

/** What happened to one invocation, as the `outcome` label says it (a short, closed set). */
export type Outcome =
  'ok' | 'invalid' | 'error' | 'timeout' | 'crash' | 'throttled' | 'unavailable';

const OUTCOME_OF_CODE: Record<string, Outcome> = {
  INPUT_INVALID: 'invalid',
  FUNCTION_TIMEOUT: 'timeout',
  WORKER_CRASHED: 'crash',
  QUEUE_FULL: 'throttled',
  WORKER_START_FAILED: 'unavailable',
  FUNCTION_UNAVAILABLE: 'unavailable',
  FUNCTION_DRAINING: 'unavailable',
};

export function outcomeOf(result: HostInvokeOutcome): Outcome {
  return result.ok ? 'ok' : (OUTCOME_OF_CODE[result.error.code] ?? 'error');
}

/** 1 ms to 2 min: warm calls land in the first buckets, model-calling steps in the last ones. */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

interface FunctionSeries {
  duration: Histogram.Internal<'function'>;
  coldStarts: Counter.Internal;
  outcomes: Map<Outcome, Counter.Internal>;
}

const WORKER_STATES = ['starting', 'idle', 'busy', 'stopping'] as const;

export interface HostMetricsOptions {
  /** The pools whose workers and queues the gauges report at scrape time. */
  pools: () => Iterable<Pool>;
  /** Also export the process's CPU, memory, event-loop and GC metrics. */
  processMetrics?: boolean;
  /** Report the free bytes of the filesystem holding this folder (the log directory). */
  logDir?: string;
}

/**
 * The host's Prometheus metrics, in a registry of its own (never the global default, so two hosts
 * in one process, as in tests, do not share counters). The host measures invocations itself;
 * workers keep no metrics.
 */
export class HostMetrics {
  readonly registry = new PromRegistry();
  private readonly invocations: Counter<'function' | 'outcome'>;
  private readonly duration: Histogram<'function'>;
  private readonly coldStarts: Counter<'function'>;
  private readonly rejected: Counter<'code'>;
  /** Labelled children per function: resolving labels on every call costs more than the update. */
  private readonly series = new Map<string, FunctionSeries>();

  constructor(options: HostMetricsOptions) {
    const registers = [this.registry];
    this.invocations = new Counter({
      name: 'atolye_invocations_total',
      help: 'Function invocations by outcome (ok, invalid, error, timeout, crash, throttled, unavailable).',
      labelNames: ['function', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'atolye_invocation_duration_seconds',
      help: 'Time from the gateway handing a call to the pool until its reply, queueing and cold start included.',
      labelNames: ['function'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.coldStarts = new Counter({
      name: 'atolye_cold_starts_total',
      help: 'Invocations that waited for a worker started for them.',
      labelNames: ['function'],
      registers,
    });
    this.rejected = new Counter({
      name: 'atolye_gateway_rejected_total',
      help: 'Calls refused before reaching a function (bad signature, unknown function, bad body).',
      labelNames: ['code'],
      registers,
    });
    new Gauge({
      name: 'atolye_workers',
      help: 'Worker processes by function and state.',
      labelNames: ['function', 'state'],
      registers,
      collect() {
        this.reset();
        for (const pool of options.pools()) {
          const stats = pool.stats();
          for (const state of WORKER_STATES)
            this.set({ function: stats.name, state }, stats.workers[state]);
        }
      },
    });
    new Gauge({
      name: 'atolye_queue_depth',
      help: 'Calls waiting for a free worker slot.',
      labelNames: ['function'],
      registers,
      collect() {
        this.reset();
        for (const pool of options.pools()) {
          const stats = pool.stats();
          this.set({ function: stats.name }, stats.queued);
        }
      },
    });
    const { logDir } = options;
    if (logDir !== undefined) {
      new Gauge({
        name: 'atolye_log_dir_free_bytes',
        help: 'Free bytes, for unprivileged users, of the filesystem holding the log directory.',
        registers,
        collect() {
          try {
            const stats = statfsSync(logDir);
            this.set(stats.bavail * stats.bsize);
          } catch {
            // A missing folder is the readiness check's to report; the gauge has no sample then
            // (reset() would leave an unlabelled gauge at 0: "no space left", a false alert).
            this.remove();
          }
        },
      });
    }
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  observe(name: string, result: HostInvokeOutcome): void {
    let series = this.series.get(name);
    if (!series) {
      series = {
        duration: this.duration.labels({ function: name }),
        coldStarts: this.coldStarts.labels({ function: name }),
        outcomes: new Map(),
      };
      this.series.set(name, series);
    }
    const outcome = outcomeOf(result);
    let counter = series.outcomes.get(outcome);
    if (!counter) {
      counter = this.invocations.labels({ function: name, outcome });
      series.outcomes.set(outcome, counter);
    }
    counter.inc();
    series.duration.observe(result.durationMs / 1000);
    if (result.coldStart) series.coldStarts.inc();
  }

  reject(code: string): void {
    this.rejected.inc({ code });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
