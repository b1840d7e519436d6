import { targetedFigures, verdict, type BenchmarkResult, type Figure } from './figures.js';

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

export const COLUMNS = ['figure', 'value', 'baseline (same run)', 'target', 'pass/miss'] as const;

/** The cells of one figure, in COLUMNS order. */
export function figureCells(figure: Figure): string[] {
  const { baseline, target } = figure;
  const cell = (value: number): string =>
    figure.count && Number.isInteger(value)
      ? `${value.toLocaleString('en-US')} ${figure.unit}`.trimEnd()
      : withUnit(value, figure.unit);
  return [
    figure.name,
    cell(figure.value),
    baseline ? `${cell(baseline.value)} (${baseline.name})` : '—',
    target
      ? `${target.op === '<=' ? '≤' : '≥'} ${cell(target.value)}` +
        (target.rule ? ` (${target.rule})` : '')
      : '—',
    verdict(figure) || '—',
  ];
}

/** Rows as aligned text columns (the value column right-aligned), with a rule under the header. */
function alignedTable(header: readonly string[], rows: string[][]): string[] {
  const all = [[...header], ...rows];
  const widths = header.map((_, column) =>
    Math.max(...all.map((cells) => (cells[column] ?? '').length)),
  );
  const lines = all.map((cells) =>
    cells
      .map((cell, column) =>
        column === 1 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  return lines;
}

/** The figures of one benchmark as an aligned text table, with notes below it. */
export function formatTable(result: BenchmarkResult): string {
  const load = (values: number[]): string => (values[0] ?? Number.NaN).toFixed(2);
  const title =
    `== ${result.name}: ${result.description} ` +
    `(${(result.durationMs / 1000).toFixed(1)} s, load ${load(result.loadavg.before)} → ${load(result.loadavg.after)})`;
  if (result.error) return `${title}\n   CRASHED: ${result.error}`;
  const lines = alignedTable(COLUMNS, result.figures.map(figureCells));
  const notes = result.figures
    .filter((figure) => figure.note)
    .map((figure) => `   * ${figure.name}: ${figure.note}`);
  return [title, ...lines.map((line) => `   ${line}`), ...notes].join('\n');
}

/** Every figure with a target, from every benchmark, in one table: the run at a glance. */
export function formatSummary(results: readonly BenchmarkResult[]): string {
  const rows = targetedFigures(results).map(([bench, figure]) => {
    const [name, ...rest] = figureCells(figure);
    return [`${bench}: ${name}`, ...rest];
  });
  const missed = rows.filter((cells) => cells[4] === 'MISS').length;
  const crashed = results.filter((result) => result.error).map((result) => result.name);
  return [
    `== summary: ${rows.length - missed} of ${rows.length} targets met` +
      (crashed.length > 0 ? `; crashed: ${crashed.join(', ')}` : ''),
    ...alignedTable(COLUMNS, rows).map((line) => `   ${line}`),
  ].join('\n');
}

const escapeCell = (cell: string): string => cell.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * A Markdown table of every benchmark's figures (or only those with a target), the benchmark's
 * name first: what docs/performance.md shows.
 */
export function markdownTable(
  results: readonly BenchmarkResult[],
  options: { targetedOnly?: boolean } = {},
): string {
  const header = ['benchmark', ...COLUMNS];
  const rows = results.flatMap((result) =>
    result.error
      ? [[result.name, 'CRASHED', '—', '—', '—', '—']]
      : result.figures
          .filter((figure) => !options.targetedOnly || figure.target !== undefined)
          .map((figure) => [result.name, ...figureCells(figure)]),
  );
  return [header, header.map(() => '---'), ...rows]
    .map((cells) => `| ${cells.map(escapeCell).join(' | ')} |`)
    .join('\n');
}
