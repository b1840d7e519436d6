/**
 * What a benchmark reports: figures, each beside a baseline measured in the same run, and the
 * DESIGN.md target it is held to, usually derived from that baseline ("baseline + 30 ms").
 */

/** The figure must be at most (`<=`) or at least (`>=`) `value`; `rule` says how `value` was derived. */
export interface Target {
  op: '<=' | '>=';
  value: number;
  /** e.g. "baseline + 30 ms", "1.2× baseline"; absent for a fixed number. */
  rule?: string;
}

/** One reported number, next to the baseline measured in the same run. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  target?: Target;
  note?: string;
  /** A count (errors, runs): printed as a whole number. */
  count?: boolean;
}

export type Verdict = 'PASS' | 'MISS' | '';

export interface BenchmarkResult {
  name: string;
  description: string;
  startedAt: string;
  durationMs: number;
  /** 1-minute load average before and after: the machine is shared, so read ratios, not absolutes. */
  loadavg: { before: number[]; after: number[] };
  figures: Figure[];
  /** Raw summaries and settings, for whoever wants more than the table. */
  details: Record<string, unknown>;
  error?: string;
}

/** PASS or MISS against the target; '' when the figure has none. A figure that is not a number misses. */
export function verdict(figure: Figure): Verdict {
  const { target } = figure;
  if (!target) return '';
  if (!Number.isFinite(figure.value) || !Number.isFinite(target.value)) return 'MISS';
  const ok = target.op === '<=' ? figure.value <= target.value : figure.value >= target.value;
  return ok ? 'PASS' : 'MISS';
}

export const atMost = (value: number): Target => ({ op: '<=', value });
export const atLeast = (value: number): Target => ({ op: '>=', value });

/** At most the baseline plus `delta` (a cold start may cost the bare fork + 30 ms). */
export function baselinePlus(baseline: number, delta: number, unit: string): Target {
  return { op: '<=', value: baseline + delta, rule: `baseline + ${delta} ${unit}`.trimEnd() };
}

/** At most (`<=`) or at least (`>=`) `factor` times the baseline. */
export function baselineTimes(op: Target['op'], baseline: number, factor: number): Target {
  return { op, value: baseline * factor, rule: `${factor}× baseline` };
}

/** Every figure of `results` that has a target, with the benchmark it came from. */
export function targetedFigures(results: readonly BenchmarkResult[]): [string, Figure][] {
  return results.flatMap((result) =>
    result.figures
      .filter((figure) => figure.target !== undefined)
      .map((figure): [string, Figure] => [result.name, figure]),
  );
}
