import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths.js';
import { verdict, type BenchmarkResult } from './figures.js';
import type { MachineInfo } from './machine.js';

/** Everything one `npm run bench` measured: what `--json FILE` writes and markdown.ts reads. */
export interface RunReport {
  startedAt: string;
  durationMs: number;
  quick: boolean;
  /** The benchmarks asked for; empty means all. */
  selected: string[];
  machine: MachineInfo;
  /** Load averages at the end of the run. */
  loadavgAfter: number[];
  results: BenchmarkResult[];
}

/** Writes `bench-results/<file>.json` at the project root; returns its path. */
export function writeJson(file: string, value: unknown): string {
  const dir = path.join(projectRoot(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, `${file}.json`);
  writeFileSync(target, `${JSON.stringify(value, null, 2)}\n`);
  return target;
}

/** Writes the whole run to `file` (relative to the current directory), each figure with its verdict. */
export function writeReport(file: string, report: RunReport): string {
  const target = path.resolve(file);
  mkdirSync(path.dirname(target), { recursive: true });
  const withVerdicts = {
    ...report,
    results: report.results.map((result) => ({
      ...result,
      figures: result.figures.map((figure) => ({ ...figure, verdict: verdict(figure) })),
    })),
  };
  writeFileSync(target, `${JSON.stringify(withVerdicts, null, 2)}\n`);
  return target;
}

export function readReport(file: string): RunReport {
  return JSON.parse(readFileSync(file, 'utf8')) as RunReport;
}
