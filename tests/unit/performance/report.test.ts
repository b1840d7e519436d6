import {
  atLeast,
  atMost,
  baselinePlus,
  baselineTimes,
  verdict,
  type BenchmarkResult,
  type Figure,
} from '../../performance/figures.js';
import { formatMachine, type MachineInfo } from '../../performance/machine.js';
import { UsageError } from '../../performance/command-line.js';
import { parseOptions } from '../../performance/options.js';
import {
  figureCells,
  formatSummary,
  formatTable,
  markdownTable,
} from '../../performance/report.js';

const coldStart: Figure = {
  name: 'tools cold start p50',
  value: 95,
  unit: 'ms',
  baseline: { name: 'fork ESM → first message', value: 70 },
  target: baselinePlus(70, 30, 'ms'),
};

function result(figures: Figure[], overrides: Partial<BenchmarkResult> = {}): BenchmarkResult {
  return {
    name: 'cold-start',
    description: 'no warm worker → first reply',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1500,
    loadavg: { before: [1.5], after: [1.75] },
    figures,
    details: {},
    ...overrides,
  };
}

describe('targets derived from a baseline', () => {
  test('baseline + delta passes at the bound and misses just above it', () => {
    expect(verdict({ ...coldStart, value: 100 })).toBe('PASS');
    expect(verdict({ ...coldStart, value: 100.01 })).toBe('MISS');
    expect(coldStart.target).toEqual({ op: '<=', value: 100, rule: 'baseline + 30 ms' });
  });

  test('a ratio target holds in either direction', () => {
    const floor: Figure = {
      name: 'calls/s',
      value: 600,
      unit: '/s',
      target: baselineTimes('>=', 1000, 0.6),
    };
    expect(verdict(floor)).toBe('PASS');
    expect(verdict({ ...floor, value: 599 })).toBe('MISS');
    const ceiling: Figure = {
      name: 'added',
      value: 0.25,
      unit: 'ms',
      target: baselineTimes('<=', 0.2, 1.2),
    };
    expect(verdict(ceiling)).toBe('MISS');
    expect(ceiling.target?.rule).toBe('1.2× baseline');
  });

  test('a figure that was not measured misses, and one without a target has no verdict', () => {
    expect(verdict({ ...coldStart, value: Number.NaN })).toBe('MISS');
    expect(verdict({ ...coldStart, target: baselinePlus(Number.NaN, 30, 'ms') })).toBe('MISS');
    expect(verdict({ name: 'info', value: 3, unit: 'ms' })).toBe('');
    expect(verdict({ name: 'max', value: 3, unit: 'ms', target: atMost(3) })).toBe('PASS');
    expect(verdict({ name: 'min', value: 2, unit: '/s', target: atLeast(3) })).toBe('MISS');
  });
});

describe('tables', () => {
  test('a row shows the value, its baseline, the target with its rule, and the verdict', () => {
    expect(figureCells(coldStart)).toEqual([
      'tools cold start p50',
      '95.00 ms',
      '70.00 ms (fork ESM → first message)',
      '≤ 100.0 ms (baseline + 30 ms)',
      'PASS',
    ]);
    expect(figureCells({ name: 'info', value: 1234.5, unit: 'KiB' })).toEqual([
      'info',
      '1,235 KiB',
      '—',
      '—',
      '—',
    ]);
  });

  test("a benchmark's table has a header, the rows and the notes", () => {
    const text = formatTable(result([{ ...coldStart, note: 'fork → ready 60 ms' }]));
    const lines = text.split('\n');
    expect(lines[0]).toBe('== cold-start: no warm worker → first reply (1.5 s, load 1.50 → 1.75)');
    expect(lines[1]).toMatch(/^ {3}figure\s+value\s+baseline \(same run\)\s+target\s+pass\/miss$/);
    expect(lines[3]).toContain('≤ 100.0 ms (baseline + 30 ms)');
    expect(lines[3]).toMatch(/PASS$/);
    expect(lines[4]).toBe('   * tools cold start p50: fork → ready 60 ms');
  });

  test('a crashed benchmark says so instead of a table', () => {
    expect(formatTable(result([], { error: 'boom' }))).toMatch(/CRASHED: boom$/);
  });

  test('the summary counts the targets met across benchmarks and names the crashed ones', () => {
    const summary = formatSummary([
      result([coldStart, { ...coldStart, name: 'act cold start p50', value: 140 }]),
      result([{ name: 'info only', value: 1, unit: 'ms' }], { name: 'other' }),
      result([], { name: 'simple-query', error: 'no host' }),
    ]);
    expect(summary.split('\n')[0]).toBe('== summary: 1 of 2 targets met; crashed: simple-query');
    expect(summary).toContain('cold-start: act cold start p50');
    expect(summary).not.toContain('info only');
  });

  test('the Markdown table has one row per figure, escapes pipes, and can keep targeted ones only', () => {
    const figures = [coldStart, { name: 'a | b', value: 2, unit: 'ms' }];
    const all = markdownTable([result(figures)]).split('\n');
    expect(all[0]).toBe(
      '| benchmark | figure | value | baseline (same run) | target | pass/miss |',
    );
    expect(all[1]).toBe('| --- | --- | --- | --- | --- | --- |');
    expect(all[2]).toBe(
      '| cold-start | tools cold start p50 | 95.00 ms | 70.00 ms (fork ESM → first message) | ≤ 100.0 ms (baseline + 30 ms) | PASS |',
    );
    expect(all[3]).toContain('a \\| b');
    expect(markdownTable([result(figures)], { targetedOnly: true }).split('\n')).toHaveLength(3);
    expect(markdownTable([result([], { error: 'x' })])).toContain('| cold-start | CRASHED |');
  });
});

describe('the command line', () => {
  test('names, --quick and --json FILE in any order', () => {
    expect(parseOptions(['cold-start', '--quick', '--json', 'out.json', 'cli-start'])).toEqual({
      names: ['cold-start', 'cli-start'],
      quick: true,
      jsonFile: 'out.json',
      help: false,
    });
    expect(parseOptions(['--json=run.json']).jsonFile).toBe('run.json');
    expect(parseOptions([])).toEqual({ names: [], quick: false, help: false });
  });

  test('an unknown flag or a --json without a file is a usage error', () => {
    expect(() => parseOptions(['--fast'])).toThrow(UsageError);
    expect(() => parseOptions(['--quick=yes'])).toThrow('unknown option --quick=yes');
    expect(() => parseOptions(['--json'])).toThrow('--json needs a file name');
  });
});

test('the machine line names Node, cores, load and whether NODE_EXTRA_CA_CERTS is set', () => {
  const info: MachineInfo = {
    node: 'v20.20.2',
    platform: 'linux 6.1',
    cpus: 2,
    cpuModel: 'Some CPU',
    totalMemMb: 4096,
    loadavg: [1, 1.25, 1.5],
    nodeExtraCaCerts: true,
  };
  expect(formatMachine(info)).toBe(
    'node v20.20.2, 2 cores (Some CPU), 4096 MB, linux 6.1; load average 1.00 1.25 1.50; NODE_EXTRA_CA_CERTS set',
  );
  expect(formatMachine({ ...info, nodeExtraCaCerts: false })).toMatch(
    /NODE_EXTRA_CA_CERTS not set$/,
  );
});
