import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths.js';

/** A DESIGN.md target: the figure must be at most (`<=`) or at least (`>=`) `value`. */
export interface Target {
  op: '<=' | '>=';
  value: number;
}

/** One reported number, next to the baseline measured in the same run. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  target?: Target;
  note?: string;
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

export function verdict(figure: Figure): Verdict {
  const { target } = figure;
  if (!target || !Number.isFinite(figure.value)) return target ? 'MISS' : '';
  const ok = target.op === '<=' ? figure.value <= target.value : figure.value >= target.value;
  return ok ? 'PASS' : 'MISS';
}

export function ratio(figure: Figure): number | undefined {
  if (!figure.baseline || figure.baseline.value === 0) return undefined;
  return figure.value / figure.baseline.value;
}

/** A number with about four significant digits, grouped when large. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(1);
  if (magnitude >= 10) return value.toFixed(2);
  return value.toFixed(3);
}

const withUnit = (value: number, unit: string): string =>
  `${formatNumber(value)} ${unit}`.trimEnd();

function row(figure: Figure): string[] {
  const times = ratio(figure);
  return [
    figure.name,
    withUnit(figure.value, figure.unit),
    figure.baseline
      ? `${withUnit(figure.baseline.value, figure.unit)} (${figure.baseline.name})`
      : '',
    times === undefined ? '' : `×${times.toFixed(2)}`,
    figure.target
      ? `${figure.target.op === '<=' ? '≤' : '≥'} ${withUnit(figure.target.value, figure.unit)}`
      : '',
    verdict(figure),
  ];
}

/** The figures of one benchmark as an aligned text table, with notes below it. */
export function formatTable(result: BenchmarkResult): string {
  const load = (values: number[]): string => (values[0] ?? Number.NaN).toFixed(2);
  const title =
    `== ${result.name}: ${result.description} ` +
    `(${(result.durationMs / 1000).toFixed(1)} s, load ${load(result.loadavg.before)} → ${load(result.loadavg.after)})`;
  if (result.error) return `${title}\n   CRASHED: ${result.error}`;
  const header = ['figure', 'value', 'baseline (same run)', 'ratio', 'target', ''];
  const rows = [header, ...result.figures.map(row)];
  const widths = header.map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] ?? '').length)),
  );
  const lines = rows.map((cells) =>
    cells
      .map((cell, column) =>
        column === 1 || column === 3
          ? cell.padStart(widths[column] ?? 0)
          : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  const notes = result.figures
    .filter((figure) => figure.note)
    .map((figure) => `   * ${figure.name}: ${figure.note}`);
  return [title, ...lines.map((line) => `   ${line}`), ...notes].join('\n');
}

/** The machine the numbers were taken on. */
export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
  };
}

/** Writes `bench-results/<file>.json` at the project root; returns its path. */
export function writeJson(file: string, value: unknown): string {
  const dir = path.join(projectRoot(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, `${file}.json`);
  writeFileSync(target, `${JSON.stringify(value, null, 2)}\n`);
  return target;
}
