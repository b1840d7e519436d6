/**
 * The frame of a measuring run bounded by `--max-minutes` (`npm run load`, `npm run chaos`): it
 * reports what it measured however it ends. SIGINT or SIGTERM asks the body to stop early; the
 * hard deadline writes the report so far and exits 1; otherwise everything the body started is
 * closed, the last started first, then the harness, and a process still running in the harness's
 * folder afterwards breaks the run (it would skew the next one).
 */
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../src/errors.js';
import { processesUsing } from '../helpers/processes.js';
import type { BenchmarkResult } from './figures.js';
import type { Harness } from './harness.js';
import type { machine } from './machine.js';

/** What every bounded run's report holds besides its own figures. */
export interface BoundedReport {
  startedAt: string;
  settings: Record<string, unknown>;
  machine: ReturnType<typeof machine>;
  loadavgAfter?: number[];
  durationMs?: number;
  /** One table each, in the benchmarks' shape. */
  sections: BenchmarkResult[];
  notes: string[];
  error?: string;
}

/** When a section of the report starts: the time, `performance.now()` and the load average. */
export const sectionStart = (): { at: string; ms: number; loadavg: number[] } => ({
  at: new Date().toISOString(),
  ms: performance.now(),
  loadavg: os.loadavg(),
});

export type Closer = () => Promise<void>;

export interface BoundedRun {
  /** The run's name in the line a crash prints: "the <name> run broke: …". */
  name: string;
  harness: Harness;
  report: BoundedReport;
  /** When the run began (`performance.now()`), for its duration. */
  began: number;
  /** The hard deadline, from the call of boundedRun. */
  maxMs: number;
  /** Prints the figures and writes the report (durationMs and loadavgAfter are set); returns its file. */
  finish(): string;
  /** SIGINT or SIGTERM came: start nothing new. */
  interrupt(): void;
  /** Undone before the harness's folder goes, on the hard deadline too (chaos: its log disks). */
  release?: () => void;
  /** The measuring. Pushes a closer for each thing it starts; returns true when a part broke. */
  body(closers: Closer[]): Promise<boolean>;
}

/** Runs `run.body` in the frame; resolves to the exit code: 0, or 1 when anything broke. */
export async function boundedRun(run: BoundedRun): Promise<number> {
  const { harness, report } = run;
  const finish = (): string => {
    report.durationMs = performance.now() - run.began;
    report.loadavgAfter = os.loadavg();
    return run.finish();
  };
  const hard = setTimeout(() => {
    report.error = `still running after ${run.maxMs / 60_000} min: stopped`;
    console.error(report.error);
    const file = finish();
    console.log(`results so far in ${path.relative(process.cwd(), file)}`);
    run.release?.();
    harness.cleanup();
    process.exit(1);
  }, run.maxMs).unref();
  const interrupt = (): void => {
    report.notes.push('interrupted (SIGINT/SIGTERM): stopped early');
    run.interrupt();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  let broke: boolean;
  const closers: Closer[] = [];
  try {
    broke = await run.body(closers);
  } catch (error) {
    broke = true;
    report.error = error instanceof Error ? (error.stack ?? error.message) : errorMessage(error);
    console.error(`the ${run.name} run broke: ${report.error}`);
  } finally {
    for (const closer of closers.reverse()) {
      await closer().catch((error: unknown) => {
        broke = true;
        report.notes.push(`closing: ${errorMessage(error)}`);
      });
    }
    run.release?.();
    const root = path.dirname(harness.dir('leftovers'));
    await harness.close();
    const leftovers = processesUsing(root);
    if (leftovers.length > 0) {
      broke = true;
      report.notes.push(
        `processes left running: ${leftovers.map((item) => `${item.pid} ${item.command}`).join('; ')}`,
      );
    }
  }
  clearTimeout(hard);
  process.off('SIGINT', interrupt);
  process.off('SIGTERM', interrupt);
  const file = finish();
  const results = path.relative(process.cwd(), file);
  console.log(`\n${endLine(report.durationMs ?? 0, report.loadavgAfter ?? [], results)}`);
  return broke ? 1 : 0;
}

/** The line that ends a run: how long it took, the load average at the end, where its results are. */
export function endLine(durationMs: number, loadavg: readonly number[], results: string): string {
  const load = loadavg.map((value) => value.toFixed(2)).join(' ');
  return `${(durationMs / 1000).toFixed(0)} s; load average at the end ${load}; results in ${results}`;
}
