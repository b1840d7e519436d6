/**
 * How long to wait before starting a process again after it failed: exponential, capped, and
 * deterministic (one host restarts its own processes; there is no herd to spread with jitter).
 */
export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 100, maxMs: 30_000, factor: 2 };

/** The wait after `failures` consecutive failures: 0 after none, then initialMs, ×factor, … ≤ maxMs. */
export function restartDelay(policy: RestartBackoff, failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(policy.maxMs, Math.round(policy.initialMs * policy.factor ** (failures - 1)));
}
