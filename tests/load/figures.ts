import { atMost, type BenchmarkResult, type Figure } from '../performance/figures.js';
import type { HostAloneResult } from './host-alone.js';
import { floorPer1000, PARTS, perRun, type MemorySnapshot } from './memory.js';
import type { RoundResult } from './runs.js';

const MB = 2 ** 20;
const total = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((sum, value) => sum + value, 0);
const listed = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([key, value]) => `${value}× ${key}`)
    .join(', ') || 'none';
export const latencyLabel = ({ min, max }: { min: number; max: number }): string =>
  min === max ? `${min} ms` : `${min}–${max} ms`;

/** The figures of one round of runs. */
export function roundFigures(
  round: RoundResult,
  lostBoundMs: number,
  memory: { before: MemorySnapshot; after: MemorySnapshot },
): Figure[] {
  const { cpuMsPerRun } = perRun(memory.before, memory.after);
  const ended = round.runs.length - round.lost - (round.statuses['not created'] ?? 0);
  const notes = `${round.runs.length} of ${round.asked} runs started${round.cut ? ' (the deadline stopped the round)' : ''}, ${ended} ended in ${(round.elapsedMs / 1000).toFixed(1)} s, ${round.concurrency} at a time; statuses: ${listed(round.statuses)}`;
  const duration = (name: string, value: number): Figure => ({
    name: `run duration ${name}`,
    value,
    unit: 'ms',
  });
  const unsuccessful = round.runs.filter((run) => run.status !== 'success');
  const errors = [
    ...new Set(unsuccessful.map((run) => `${run.status}${run.error ? ` ${run.error}` : ''}`)),
  ];
  return [
    { name: 'runs per minute', value: round.perMinute, unit: 'runs/min', note: notes },
    duration('p50', round.durations.p50),
    duration('p95', round.durations.p95),
    duration('p99', round.durations.p99),
    {
      name: 'runs not successful',
      value: unsuccessful.length + round.missingFile,
      unit: '',
      target: atMost(0),
      note:
        (errors.length > 0 ? errors.slice(0, 5).join('; ') : 'none') +
        (round.missingFile > 0 ? `; ${round.missingFile} succeeded without writing hello.py` : ''),
      count: true,
    },
    {
      name: 'HTTP errors',
      value: total(round.httpErrors),
      unit: '',
      target: atMost(0),
      note: listed(round.httpErrors),
      count: true,
    },
    {
      name: 'runs lost (never terminal)',
      value: round.lost,
      unit: '',
      target: atMost(0),
      note: `not terminal ${lostBoundMs / 1000} s after submission ended`,
      count: true,
    },
    ...PARTS.map((part): Figure => ({
      name: `CPU per run, ${part}`,
      value: cpuMsPerRun[part],
      unit: 'ms',
      note:
        part === 'workers'
          ? "the step functions' own time; the sandboxed commands (bwrap, python3) are not counted"
          : undefined,
    })),
  ];
}

/**
 * RSS after each round beside after warm-up, the growth per 1,000 runs between the two, and the
 * trend over the second half of the longest round (snapshots taken while it ran): the leak check.
 */
export function memoryFigures(
  memory: readonly MemorySnapshot[],
  trend: readonly MemorySnapshot[] = [],
): Figure[] {
  const warm = memory.find((snap) => snap.label === 'after warm-up');
  const idle = memory[0];
  if (!warm || !idle) return [];
  const workers = (snap: MemorySnapshot): number =>
    snap.processes.filter((item) => item.role !== 'host' && item.role !== 'orchestrator').length;
  const figures: Figure[] = [];
  for (const snap of memory.slice(memory.indexOf(warm) + 1)) {
    for (const part of PARTS) {
      figures.push({
        name: `RSS ${part}, ${snap.label}`,
        value: snap[part] / MB,
        unit: 'MB',
        baseline: { name: 'after warm-up', value: warm[part] / MB },
        note:
          part === 'workers'
            ? `${workers(snap)} workers (${workers(warm)} after warm-up, ${workers(idle)} idle after the deploy)`
            : undefined,
      });
    }
  }
  // The leak check: from after warm-up to after the last round of runs.
  const last = memory.findLast((snap) => snap.afterRound);
  if (!last) return figures;
  const { runs, rssPer1000, survivors } = perRun(warm, last);
  const over = `from after warm-up to ${last.label}, over ${runs} runs${runs < 1_000 ? ' (fewer than 1,000: a rough reading, not the leak check)' : ''}`;
  for (const part of ['host', 'orchestrator'] as const) {
    figures.push({
      name: `RSS growth per 1,000 runs, ${part}`,
      value: rssPer1000[part] / MB,
      unit: 'MB',
      note: over,
    });
  }
  figures.push({
    name: 'RSS growth per 1,000 runs, workers alive throughout',
    value: survivors.rssPer1000 / MB,
    unit: 'MB',
    baseline: { name: 'all workers, however many', value: rssPer1000.workers / MB },
    note: `${survivors.count} workers lived through it (a pool that scaled up or down changes the sum of all); ${over}`,
  });
  return [...figures, ...trendFigures(trend)];
}

/** How fast the RSS floors rose during the round with the most snapshots (see floorPer1000). */
function trendFigures(trend: readonly MemorySnapshot[]): Figure[] {
  const rounds = [...new Set(trend.map((snap) => snap.label))];
  const longest = rounds
    .map((label) => trend.filter((snap) => snap.label === label))
    .sort((a, b) => b.length - a.length)[0];
  return PARTS.flatMap((part): Figure[] => {
    const floor = longest && floorPer1000(longest, part);
    if (!floor) return [];
    return [
      {
        name: `RSS floor rise per 1,000 runs, ${part}, during ${floor.to.label}`,
        value: floor.perThousand / MB,
        unit: 'MB',
        baseline: { name: 'lowest in the first third', value: floor.from[part] / MB },
        note:
          `lowest RSS in the last third of the round (${(floor.to[part] / MB).toFixed(0)} MB at run ${floor.to.runs}) ` +
          `against the first third's (run ${floor.from.runs}), from ${longest.length} snapshots: a leak keeps raising the floor` +
          (part === 'workers' ? '; all workers summed, so a pool scaling moves it' : ''),
      },
    ];
  });
}

export function hostAloneFigures(result: HostAloneResult): Figure[] {
  const errors = total(result.failed);
  return [
    {
      name: `signed calls per second, ${result.concurrency} concurrent`,
      value: result.perSecond,
      unit: '/s',
      note: `${result.completed} calls in ${(result.elapsedMs / 1000).toFixed(1)} s`,
    },
    { name: 'call latency p50', value: result.latency.p50, unit: 'ms' },
    { name: 'call latency p99', value: result.latency.p99, unit: 'ms' },
    {
      name: 'call errors',
      value: errors,
      unit: '',
      target: atMost(0),
      note:
        errors > 0
          ? `by status (0 = no answer): ${listed(result.failed)}` +
            (result.failed['503']
              ? '; a 503 after ~100,000 calls is the replay guard (REPLAY_GUARD_FULL: the host remembers at most 100,000 signatures of the last 5 minutes)'
              : '')
          : undefined,
      count: true,
    },
  ];
}

/** A section of the report in the benchmarks' shape, so their table printer prints it. */
export function section(
  name: string,
  description: string,
  started: { at: string; ms: number; loadavg: number[] },
  figures: Figure[],
  details: Record<string, unknown>,
  loadavgAfter: number[],
): BenchmarkResult {
  return {
    name,
    description,
    startedAt: started.at,
    durationMs: performance.now() - started.ms,
    loadavg: { before: started.loadavg, after: loadavgAfter },
    figures,
    details,
  };
}
