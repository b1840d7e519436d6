import { DEFAULT_RESTART_BACKOFF, restartDelay, type RestartBackoff } from './backoff.js';
import { functionUnavailable, workerStartFailed, type HostFailure } from './failures.js';

/** Consecutive failures (failed starts, crashes of unproven workers) after which a pool is unhealthy. */
const UNHEALTHY_AFTER = 3;

/**
 * When a pool may start its next worker. Every failed start, and every crash of a worker that
 * never proved itself, pushes the next start back exponentially; a successful call or a crash of
 * a long-lived worker clears the slate. A bundle that dies at start is thus retried once per
 * backoff window, on demand, rather than in a loop.
 */
export class RestartGate {
  private failures = 0;
  private nextStartAt = 0;
  private lastFailure?: string;
  /** The last start attempt failed and no worker became ready since. */
  private startFailing = false;

  constructor(
    private readonly name: string,
    private readonly backoff: RestartBackoff = DEFAULT_RESTART_BACKOFF,
  ) {}

  get failureCount(): number {
    return this.failures;
  }

  /** Milliseconds until a start is allowed (≤ 0: now). */
  waitMs(): number {
    return this.nextStartAt - performance.now();
  }

  /** How long a caller may wait for a delayed start: not at all while starts keep failing. */
  callerWaitMs(configured: number): number {
    return this.startFailing ? 0 : configured;
  }

  /** The delay the current streak imposes, for log lines. */
  delayMs(): number {
    return restartDelay(this.backoff, this.failures);
  }

  startFailed(message: string): void {
    this.startFailing = true;
    this.fail(message);
  }

  /** A worker died after it was ready; `proven` when it served a call or lived long enough. */
  crashed(message: string, proven: boolean): void {
    if (proven) this.reset();
    else this.fail(message);
  }

  workerReady(): void {
    this.startFailing = false;
  }

  callSucceeded(): void {
    if (this.failures > 0) this.reset();
  }

  /** Why the pool is unhealthy while it has no ready worker, or undefined when it is not. */
  problem(): string | undefined {
    if (!this.startFailing && this.failures < UNHEALTHY_AFTER) return undefined;
    return `workers of ${this.name} fail to start: ${this.lastFailure}`;
  }

  /** The 503 for a call that no worker will serve before the gate opens. */
  refusal(): HostFailure {
    const retryAfterS = Math.max(1, Math.ceil(this.waitMs() / 1000));
    const reason = this.lastFailure ?? 'no worker could be started';
    return this.startFailing
      ? workerStartFailed(this.name, reason, retryAfterS)
      : functionUnavailable(this.name, reason, retryAfterS);
  }

  /** Why a start is not allowed yet, for health checks. */
  waitReason(): string {
    return `${this.lastFailure}; next start in ${Math.ceil(this.waitMs())} ms`;
  }

  private fail(message: string): void {
    this.failures += 1;
    this.lastFailure = message;
    this.nextStartAt = performance.now() + restartDelay(this.backoff, this.failures);
  }

  private reset(): void {
    this.failures = 0;
    this.nextStartAt = 0;
  }
}
