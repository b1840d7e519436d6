/**
 * The alert rules of deploy/monitoring/alerts evaluated in-process, for the embedded default
 * where no Prometheus runs: the orchestrator samples counters every interval, keeps a window of
 * samples, and a rule fires when its ratio over its window passes its threshold. A firing or a
 * resolved alert is logged and posted to an optional webhook; the dashboard shows the active ones.
 */

/** Counters and gauges at one moment; counters only ever grow (a restart resets them). */
export interface AlertSample {
  at: number;
  invocations: { total: number; failed: number };
  runs: { total: number; failed: number };
  /** Free bytes of the log directory's filesystem, when known. */
  logFreeBytes?: number;
}

export interface AlertRule {
  name: string;
  severity: 'warning' | 'critical';
  /** The samples this far back are compared with the newest. */
  windowMs: number;
  /** The measured value, or undefined when the window holds too little to judge. */
  measure(oldest: AlertSample, newest: AlertSample): number | undefined;
  /** For a ratio, the counts it divides: shown with it, so a reader can check the numbers. */
  counts?(oldest: AlertSample, newest: AlertSample): AlertCounts;
  threshold: number;
  /** Fires above (`gt`) or below (`lt`) the threshold. */
  direction: 'gt' | 'lt';
  summary(value: number): string;
}

/** What a ratio was computed from: `failed` of `total` within the rule's window. */
export interface AlertCounts {
  failed: number;
  total: number;
}

export interface ActiveAlert {
  name: string;
  severity: AlertRule['severity'];
  summary: string;
  value: number;
  since: string;
  /** The window the value was measured over, ending at `since` (0: the newest sample alone). */
  windowMs: number;
  counts?: AlertCounts;
}

const ratio = ({ failed, total }: AlertCounts): number | undefined =>
  total > 0 ? failed / total : undefined;

const invocationCounts = (oldest: AlertSample, newest: AlertSample): AlertCounts => ({
  failed: newest.invocations.failed - oldest.invocations.failed,
  total: newest.invocations.total - oldest.invocations.total,
});

const runCounts = (oldest: AlertSample, newest: AlertSample): AlertCounts => ({
  failed: newest.runs.failed - oldest.runs.failed,
  total: newest.runs.total - oldest.runs.total,
});

/** The embedded counterparts of deploy/monitoring/alerts/{invocations,runs,disk}.yml. */
export const EMBEDDED_RULES: readonly AlertRule[] = [
  {
    name: 'AtolyeInvocationErrorRatioHigh',
    severity: 'critical',
    windowMs: 5 * 60_000,
    measure: (oldest, newest) => ratio(invocationCounts(oldest, newest)),
    counts: invocationCounts,
    threshold: 0.01,
    direction: 'gt',
    summary: (value) =>
      `${(value * 100).toFixed(1)} % of function invocations failed in 5 min (> 1 %)`,
  },
  {
    name: 'AtolyeRunFailureRatioHigh',
    severity: 'warning',
    windowMs: 30 * 60_000,
    measure: (oldest, newest) => ratio(runCounts(oldest, newest)),
    counts: runCounts,
    threshold: 0.2,
    direction: 'gt',
    summary: (value) => `${(value * 100).toFixed(0)} % of runs failed in 30 min (> 20 %)`,
  },
  {
    name: 'AtolyeLogDiskNearlyFull',
    severity: 'critical',
    windowMs: 0,
    measure: (_oldest, newest) => newest.logFreeBytes,
    threshold: 1024 ** 3,
    direction: 'lt',
    summary: (value) =>
      `the log directory's disk has ${(value / 1024 ** 2).toFixed(0)} MiB free (< 1 GiB)`,
  },
];

export interface AlertEvents {
  fired(alert: ActiveAlert): void;
  resolved(alert: ActiveAlert): void;
}

/** Holds the samples and the firing state; `evaluate` is called once per new sample. */
export class AlertEvaluator {
  private samples: AlertSample[] = [];
  private readonly firing = new Map<string, ActiveAlert>();

  constructor(
    private readonly events: AlertEvents,
    private readonly rules: readonly AlertRule[] = EMBEDDED_RULES,
  ) {}

  evaluate(sample: AlertSample): void {
    const previous = this.samples.at(-1);
    // Counters that went down mean the process behind them restarted: start the window over.
    if (
      previous &&
      (sample.invocations.total < previous.invocations.total ||
        sample.runs.total < previous.runs.total)
    ) {
      this.samples = [];
    }
    this.samples.push(sample);
    const longest = Math.max(...this.rules.map((rule) => rule.windowMs));
    this.samples = this.samples.filter((kept) => sample.at - kept.at <= longest);
    for (const rule of this.rules) this.apply(rule, sample);
  }

  active(): ActiveAlert[] {
    return [...this.firing.values()];
  }

  private apply(rule: AlertRule, newest: AlertSample): void {
    const oldest = this.samples.find((kept) => newest.at - kept.at <= rule.windowMs) ?? newest;
    const value = rule.measure(oldest, newest);
    const breached =
      value !== undefined &&
      (rule.direction === 'gt' ? value > rule.threshold : value < rule.threshold);
    const current = this.firing.get(rule.name);
    if (breached && !current) {
      const alert: ActiveAlert = {
        name: rule.name,
        severity: rule.severity,
        summary: rule.summary(value),
        value,
        since: new Date(newest.at).toISOString(),
        windowMs: rule.windowMs,
        ...(rule.counts ? { counts: rule.counts(oldest, newest) } : {}),
      };
      this.firing.set(rule.name, alert);
      this.events.fired(alert);
    } else if (!breached && current && value !== undefined) {
      this.firing.delete(rule.name);
      this.events.resolved(current);
    }
  }
}

/** The sum of every series of `metric` in Prometheus text whose labels pass `keep`. */
export function sumSeries(
  text: string,
  metric: string,
  keep: (labels: string) => boolean = () => true,
): number {
  let sum = 0;
  const pattern = new RegExp(`^${metric}(?:\\{([^}]*)\\})? ([0-9.eE+-]+|NaN)$`, 'gm');
  for (const match of text.matchAll(pattern)) {
    if (keep(match[1] ?? '')) sum += Number(match[2]);
  }
  return sum;
}
