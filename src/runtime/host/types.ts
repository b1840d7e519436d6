import type { InvocationMeta, Limits } from '../contract.js';
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

/** What a caller may say about a call; the pool fills in `invocationId` and `attempt` when absent. */
export type CallMeta = Partial<InvocationMeta>;

export interface InvokeSuccess {
  ok: true;
  output: unknown;
  /** Time spent in the host: queueing, a cold start if any, and the run itself. */
  durationMs: number;
  /** The call waited for a worker that was started for it. */
  coldStart: boolean;
  /** pid of the worker that served the call. */
  worker: number;
}

export interface InvokeFailure {
  ok: false;
  status: number;
  error: WireError;
  /** Seconds after which trying again may succeed (429, 503). */
  retryAfterS?: number;
  durationMs: number;
  coldStart: boolean;
  worker?: number;
}

export type InvokeResult = InvokeSuccess | InvokeFailure;

export type HealthStatus = 'pass' | 'fail';

/** A pool's readiness as /readyz reports it, computed without starting anything. */
export interface PoolHealth {
  status: HealthStatus;
  /** Why it fails, in words an operator can act on. */
  output?: string;
}

/** The result of actively pinging a worker. */
export type HealthCheck =
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
  invoke(input: unknown, meta?: CallMeta): Promise<InvokeResult>;
  health(): PoolHealth;
  healthCheck(timeoutMs?: number): Promise<HealthCheck>;
  stats(): PoolStats;
  drain(): Promise<void>;
}
