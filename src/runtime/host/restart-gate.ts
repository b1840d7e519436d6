import { DEFAULT_RESTART_BACKOFF, restartDelay, type RestartBackoff } from './backoff.js';
import { functionUnavailable, workerStartFailed, type HostFailure } from './failures.js';

/** Consecutive failures (failed starts, crashes of unproven workers) after which a pool is unhealthy. */
const UNHEALTHY_AFTER = 3;

/**
 * Kills from outside absorbed in a row while no worker proves itself. Beyond it a kill counts as
 * a failure: workers that die this way again and again are likely the cause themselves (the
 * kernel's OOM killer picks the process using the most memory), and restarting them at once
 * would spin.
 */
export const ABSORBED_KILLS = 5;

/**
 * When a pool may start its next worker. Every failed start, and every crash of a worker that
 * never proved itself, pushes the next start back exponentially; a successful call or a crash of
 * a long-lived worker clears the slate. A bundle that dies at start is thus retried once per
 * backoff window, on demand, rather than in a loop. A worker killed by a signal from outside is
 * not the bundle's fault: it is replaced at once and counts as no failure (see `killed`).
 */
export class RestartGate {
  private failures = 0;
  private nextStartAt = 0;
  private lastFailure?: string;
  /** The last start attempt failed and no worker became ready since. */
  private startFailing = false;
  /** Kills from outside since a worker last proved itself. */
  private kills = 0;

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

  /**
   * A worker was killed by a signal from outside, while starting or after. True when the kill is
   * absorbed (no backoff, no failure counted, the next start may happen now); false once more
   * than ABSORBED_KILLS workers in a row were killed before any proved itself: the caller then
   * treats the kill as a failed start or a crash.
   */
  killed(proven: boolean): boolean {
    if (proven) {
      this.kills = 0;
      return true;
    }
    this.kills += 1;
    return this.kills <= ABSORBED_KILLS;
  }

  workerReady(): void {
    this.startFailing = false;
  }

  callSucceeded(): void {
    this.kills = 0;
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
