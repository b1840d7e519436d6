import type { CallMeta, Limits } from '../contract.js';
import type { WireError } from '../protocol.js';

/** One deployed version of a function: what its pool runs and under which limits. */
export interface PoolSpec {
  name: string;
  version: string;
  /** Absolute path of the esbuild bundle (an ES module that calls serveWorker). */
  bundlePath: string;
  limits: Limits;
  /** Names of the host environment variables copied into each worker; it sees no others. */
  secrets: readonly string[];
  /** Configuration paths the function declares; the host resolves them (absent: none). */
  settings?: readonly string[];
}

/**
 * How a call went, as the host's pool answers it (the invoke client's InvokeResult is what a caller
 * gets back over HTTP).
 */
export type HostInvokeOutcome = HostInvokeSuccess | HostInvokeFailure;

export interface HostInvokeSuccess {
  ok: true;
  output: unknown;
  /** Time spent in the host: queueing, a cold start if any, and the run itself. */
  durationMs: number;
  /** The call waited for a worker that was started for it. */
  coldStart: boolean;
  /** pid of the worker that served the call. */
  worker: number;
}

export interface HostInvokeFailure {
  ok: false;
  status: number;
  error: WireError;
  /** Seconds after which trying again may succeed (429, 503). */
  retryAfterS?: number;
  durationMs: number;
  coldStart: boolean;
  worker?: number;
}

export type HealthStatus = 'pass' | 'fail';

/** A pool's readiness as /readyz reports it, computed without starting anything. */
export interface PoolHealth {
  status: HealthStatus;
  /** Why it fails, in words an operator can act on. */
  output?: string;
}

/** The answer to actively pinging a worker (not a readiness check: see monitoring/readiness.ts). */
export type WorkerPing =
  { ok: true; worker: number; rssBytes: number; latencyMs: number } | { ok: false; reason: string };

export interface PoolStats {
  name: string;
  version: string;
  draining: boolean;
  health: PoolHealth;
  workers: { starting: number; idle: number; busy: number; stopping: number; total: number };
  pids: number[];
  queued: number;
  inFlight: number;
  invocations: number;
  coldStarts: number;
  starts: number;
  crashes: number;
  timeouts: number;
}

/** What the registry and the gateway need of a pool; FunctionPool is the implementation. */
export interface Pool {
  readonly spec: PoolSpec;
  invoke(input: unknown, meta?: CallMeta): Promise<HostInvokeOutcome>;
  health(): PoolHealth;
  healthCheck(timeoutMs?: number): Promise<WorkerPing>;
  stats(): PoolStats;
  drain(): Promise<void>;
}
