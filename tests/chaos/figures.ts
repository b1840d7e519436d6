import { atLeast, atMost, verdict, type Figure } from '../performance/figures.js';
import type { ScenarioResult } from './round.js';
import type { Scenario } from './scenarios.js';
import { httpKinds, isClearCode, listed } from './tally.js';

const count = (name: string, value: number, extra: Partial<Figure> = {}): Figure => ({
  name,
  value,
  unit: '',
  count: true,
  ...extra,
});
const sum = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((total, value) => total + value, 0);
const quote = (text: string | undefined, chars = 160): string =>
  text === undefined ? '(none)' : `"${text.length > chars ? `${text.slice(0, chars)}…` : text}"`;

/** The names of the figures a scenario is held to, so a miss can be explained by name. */
export const FIGURES = {
  success: 'runs succeeded',
  lost: 'runs lost (never terminal)',
  notAccepted: 'runs never accepted (client gave up)',
  refused: 'connections refused',
  vague: 'failed runs without a clear code',
  logged: 'failed runs not in the errors channel exactly once',
  reported: 'failed runs not reported to Sentry exactly once',
  resumed: 'logging resumed once the disk had room',
} as const;

/** The figures of one scenario, each target with the evidence for its verdict in its note. */
export function scenarioFigures(
  scenario: Scenario,
  result: ScenarioResult,
  lostBoundMs: number,
): Figure[] {
  const { round } = result;
  const accepted = result.runs.filter((run) => run.runId !== undefined);
  const succeeded = result.runs.filter((run) => run.status === 'success').length;
  const byCode: Record<string, number> = {};
  for (const run of result.failed) {
    const key = `${run.status} ${run.code ?? '(no code)'}`;
    byCode[key] = (byCode[key] ?? 0) + 1;
  }
  const kinds = httpKinds(round.httpErrors);
  const keysOf = (pattern: RegExp): Record<string, number> =>
    Object.fromEntries(Object.entries(round.httpErrors).filter(([key]) => pattern.test(key)));
  const vague = result.failed.filter((run) => !isClearCode(run.code));
  const example = (runs: typeof result.failed, of: 'logged' | 'reported'): string => {
    const run = runs.find((item) => item[of].length !== 1);
    return run
      ? `; e.g. run ${run.runId} (${run.code}): ${run[of].length === 0 ? 'none' : run[of].map((msg) => quote(msg, 100)).join(' + ')}`
      : '';
  };
  const loggedOff = result.failed.filter((run) => run.logged.length !== 1);
  const reportedOff = result.failed.filter((run) => run.reported.length !== 1);
  const diskFull = scenario.logDiskMb !== undefined;
  const lostRuns = result.runs.filter((run) => run.status === 'lost');

  const figures: Figure[] = [
    count('runs submitted', accepted.length, {
      note: `${result.runs.length} of ${round.asked} started${round.cut ? ' (the deadline stopped the round)' : ''}, ${round.concurrency} at a time, in ${(round.elapsedMs / 1000).toFixed(0)} s; statuses: ${listed(round.statuses)}`,
    }),
    {
      name: FIGURES.success,
      value: accepted.length > 0 ? (succeeded / accepted.length) * 100 : Number.NaN,
      unit: '%',
      target: scenario.successTarget === undefined ? undefined : atLeast(scenario.successTarget),
      note:
        `${succeeded} of ${accepted.length}; failed by code: ${listed(byCode)}` +
        (result.failed[0] ? `; e.g. ${quote(result.failed[0].message)}` : '') +
        (scenario.successTarget === undefined ? `; no target: ${scenario.promise}` : ''),
    },
    count(FIGURES.lost, round.lost, {
      target: atMost(0),
      note:
        `not terminal ${lostBoundMs / 1000} s after the last run was submitted (the faults stop then)` +
        (lostRuns.length > 0
          ? `: ${lostRuns
              .slice(0, 5)
              .map((run) => `${run.runId} ${run.error}`)
              .join(', ')}`
          : ''),
    }),
    count(FIGURES.notAccepted, result.runs.length - accepted.length, {
      target: atMost(0),
      note: 'POST /threads or …/runs failed for good (the client retries refusals and Retry-After)',
    }),
    count(FIGURES.refused, kinds.refused, {
      target: atMost(0),
      note: listed(keysOf(/ECONNREFUSED/)),
    }),
    count('HTTP 5xx answers', kinds['5xx'], { note: listed(keysOf(/→ 5\d\d$/)) }),
    count('requests timed out', kinds.timeout, {
      note: `no answer within 30 s: ${listed(keysOf(/→ timeout$/))}`,
    }),
    count('other network errors', kinds['other network'], {
      note: listed(keysOf(/→ network(?!.*ECONNREFUSED)/)),
    }),
    count(FIGURES.vague, vague.length, {
      target: atMost(0),
      note:
        vague.length > 0
          ? `codes: ${listed(Object.fromEntries(vague.map((run) => [String(run.code), vague.filter((item) => item.code === run.code).length])))}; e.g. ${quote(vague[0]?.message)}`
          : 'every failed run has a code of the catalogue, not a catch-all',
    }),
    count(FIGURES.logged, loggedOff.length, {
      target: diskFull ? undefined : atMost(0),
      note:
        `error-level records naming the run, per failed run: ${listed(result.logged)}${example(result.failed, 'logged')}` +
        (diskFull ? '; no target: records cannot be written while the disk is full' : ''),
    }),
    count(FIGURES.reported, reportedOff.length, {
      target: atMost(0),
      note: `events tagged with the run, per failed run: ${listed(result.reported)}${example(result.failed, 'reported')}`,
    }),
    count('error records of successful runs', result.errorsChannel.ofSuccessfulRuns, {
      note: `all error-level records of the errors channel: ${listed(result.errorsChannel.byMessage).slice(0, 600)}`,
    }),
    count('Sentry events', result.sentry.events, {
      note: listed(result.sentry.byMessage).slice(0, 600),
    }),
    count('error records whose Sentry event never arrived', sum(result.sentry.neverArrived), {
      note: `the record names the event (sentryEventId), the ingest server never got it: ${listed(result.sentry.neverArrived).slice(0, 600)}`,
    }),
    count(
      'faults applied',
      sum(Object.fromEntries(result.faults.flatMap((fault) => Object.entries(fault.outcomes)))),
      {
        note:
          result.faults.map((fault) => `${fault.name}: ${listed(fault.outcomes)}`).join('; ') +
          (sum(result.model) > 0 ? `; model calls: ${listed(result.model)}` : ''),
      },
    ),
    { name: 'run duration p50', value: round.durations.p50, unit: 'ms' },
    { name: 'run duration p95', value: round.durations.p95, unit: 'ms' },
  ];
  if (result.logDisk) {
    figures.push(
      count(FIGURES.resumed, result.logDisk.resumed ? 1 : 0, {
        target: atLeast(1),
        note: `1 when a channel file holds a record stamped after the filler was removed (${result.logDisk.sizeMb} MB tmpfs)`,
      }),
    );
  }
  return figures;
}

/** `MISS scenario: figure (value) — evidence`, one line per missed target. */
export function misses(scenario: string, figures: readonly Figure[]): string[] {
  return figures
    .filter((figure) => verdict(figure) === 'MISS')
    .map(
      (figure) =>
        `MISS ${scenario}: ${figure.name} = ${Number.isFinite(figure.value) ? Number(figure.value.toFixed(1)) : 'n/a'}${figure.unit === '%' ? ' %' : ''} — ${figure.note ?? ''}`,
    );
}
