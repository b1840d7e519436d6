/**
 * `node bin/run-ts.js tests/performance/markdown.ts FILE.json [--targets]`: prints the run that
 * `npm run bench -- --json FILE.json` wrote as Markdown (machine line and table), for
 * docs/performance.md. `--targets` keeps only the figures that have a target.
 */
import { formatMachine } from './machine.js';
import { markdownTable } from './report.js';
import { readReport } from './results.js';

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--'));
if (!file) {
  console.error('usage: node bin/run-ts.js tests/performance/markdown.ts FILE.json [--targets]');
  process.exit(64);
}
const report = readReport(file);
const minutes = (report.durationMs / 60_000).toFixed(1);
console.log(
  [
    `Run of ${report.startedAt}${report.quick ? ' (--quick)' : ''}, ${minutes} min: ${formatMachine(report.machine)}; ` +
      `load average at the end ${report.loadavgAfter.map((value) => value.toFixed(2)).join(' ')}.`,
    '',
    markdownTable(report.results, { targetedOnly: args.includes('--targets') }),
  ].join('\n'),
);
