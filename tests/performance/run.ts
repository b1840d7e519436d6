/**
 * `npm run bench [-- --quick] [-- --json FILE] [-- <name> …]`: runs the benchmarks (all by
 * default), prints each one's table (figure, value, baseline from the same run, target, pass/miss)
 * and a summary of every target, writes `bench-results/<name>.json`, and with `--json` the whole
 * run to one file. Figures are informational: the exit code is 0 unless a benchmark itself
 * crashed. Never part of `npm test`.
 */
import os from 'node:os';
import { errorMessage } from '../../src/errors.js';
import { endLine } from './bounded-run.js';
import { bundleSize } from './bundle-size.js';
import { cliStart } from './cli-start.js';
import { coldStart } from './cold-start.js';
import { runScript } from './command-line.js';
import { verdict, type BenchmarkResult } from './figures.js';
import { createHarness, type Benchmark } from './harness.js';
import { idleRss } from './idle-rss.js';
import { invokeOverhead } from './invoke-overhead.js';
import { logThroughput } from './log-throughput.js';
import { formatMachine, machine } from './machine.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { orchestratorOverhead } from './orchestrator-overhead.js';
import { formatSummary, formatTable } from './report.js';
import { writeJson, writeReport } from './results.js';
import { scale } from './scale.js';
import { simpleQuery } from './simple-query.js';
import { throughput } from './throughput.js';

const BENCHMARKS: Benchmark[] = [
  bundleSize,
  coldStart,
  invokeOverhead,
  throughput,
  idleRss,
  logThroughput,
  orchestratorOverhead,
  simpleQuery,
  cliStart,
  scale,
];
/** The whole run ends here even if something hangs; each benchmark bounds its own loops well below it. */
const RUN_MAX_MS = 12 * 60_000;

async function runOne(bench: Benchmark, harness: ReturnType<typeof createHarness>) {
  const before = os.loadavg();
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const base = { name: bench.name, description: bench.description, startedAt, durationMs: 0 };
  let result: BenchmarkResult;
  try {
    const outcome = await bench.run(harness);
    result = { ...base, loadavg: { before, after: [] }, ...outcome };
  } catch (error) {
    result = {
      ...base,
      loadavg: { before, after: [] },
      figures: [],
      details: {},
      error: error instanceof Error ? (error.stack ?? error.message) : errorMessage(error),
    };
  }
  result.durationMs = performance.now() - started;
  result.loadavg.after = os.loadavg();
  return result;
}

async function main(options: BenchOptions): Promise<number> {
  const unknown = options.names.filter((name) => !BENCHMARKS.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark ${unknown.join(', ')}; there are: ${BENCHMARKS.map((bench) => bench.name).join(', ')}`,
    );
    return 64;
  }
  const selected =
    options.names.length === 0
      ? BENCHMARKS
      : BENCHMARKS.filter((bench) => options.names.includes(bench.name));
  const harness = createHarness({ quick: options.quick });
  const watchdog = setTimeout(() => {
    console.error(`benchmarks still running after ${RUN_MAX_MS / 1000} s: giving up`);
    harness.cleanup();
    process.exit(1);
  }, RUN_MAX_MS).unref();
  const info = machine();
  const runStartedAt = new Date().toISOString();
  const runStarted = performance.now();
  console.log(formatMachine(info) + (options.quick ? '; --quick' : ''));
  const results: BenchmarkResult[] = [];
  try {
    for (const bench of selected) {
      const result = await runOne(bench, harness);
      results.push(result);
      console.log(`\n${formatTable(result)}`);
      writeJson(bench.name, {
        machine: info,
        ...result,
        verdicts: result.figures.map((figure) => [figure.name, verdict(figure)]),
      });
    }
  } finally {
    clearTimeout(watchdog);
    await harness.close();
  }
  const durationMs = performance.now() - runStarted;
  console.log(`\n${formatSummary(results)}`);
  console.log(`\n${endLine(durationMs, os.loadavg(), 'bench-results/')}`);
  if (options.jsonFile) {
    const file = writeReport(options.jsonFile, {
      startedAt: runStartedAt,
      durationMs,
      quick: options.quick,
      selected: options.names,
      machine: info,
      loadavgAfter: os.loadavg(),
      results,
    });
    console.log(`the whole run: ${file}`);
  }
  const crashed = results.filter((result) => result.error);
  if (crashed.length > 0)
    console.error(`crashed: ${crashed.map((result) => result.name).join(', ')}`);
  return crashed.length > 0 ? 1 : 0;
}

runScript(parseOptions, USAGE, main);
