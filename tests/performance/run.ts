/**
 * `npm run bench [-- <name> …]`: runs the benchmarks (all by default), prints each one's table and
 * writes `bench-results/<name>.json`. Figures are informational: the exit code is 0 unless a
 * benchmark itself crashed. Never part of `npm test`.
 */
import os from 'node:os';
import { errorMessage } from '../../src/errors.js';
import { bundleSize } from './bundle-size.js';
import { coldStart } from './cold-start.js';
import { createHarness, type Benchmark } from './harness.js';
import { idleRss } from './idle-rss.js';
import { invokeOverhead } from './invoke-overhead.js';
import { logThroughput } from './log-throughput.js';
import { orchestratorOverhead } from './orchestrator-overhead.js';
import { formatTable, machine, verdict, writeJson, type BenchmarkResult } from './report.js';
import { throughput } from './throughput.js';

const BENCHMARKS: Benchmark[] = [
  bundleSize,
  coldStart,
  invokeOverhead,
  throughput,
  idleRss,
  logThroughput,
  orchestratorOverhead,
];
/** The whole run ends here even if something hangs; each benchmark bounds its own loops well below it. */
const RUN_MAX_MS = 8 * 60_000;

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((name) => !BENCHMARKS.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark ${unknown.join(', ')}; there are: ${BENCHMARKS.map((bench) => bench.name).join(', ')}`,
    );
    return 64;
  }
  const selected =
    names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((bench) => names.includes(bench.name));
  const harness = createHarness();
  const watchdog = setTimeout(() => {
    console.error(`benchmarks still running after ${RUN_MAX_MS / 1000} s: giving up`);
    harness.cleanup();
    process.exit(1);
  }, RUN_MAX_MS).unref();
  const info = machine();
  console.log(
    `node ${info.node}, ${info.cpus} CPUs (${info.cpuModel}), load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  const results: BenchmarkResult[] = [];
  try {
    for (const bench of selected) {
      const before = os.loadavg();
      const startedAt = new Date().toISOString();
      const started = performance.now();
      let result: BenchmarkResult;
      try {
        const outcome = await bench.run(harness);
        result = {
          name: bench.name,
          description: bench.description,
          startedAt,
          durationMs: 0,
          loadavg: { before, after: [] },
          ...outcome,
        };
      } catch (error) {
        result = {
          name: bench.name,
          description: bench.description,
          startedAt,
          durationMs: 0,
          loadavg: { before, after: [] },
          figures: [],
          details: {},
          error: error instanceof Error ? (error.stack ?? error.message) : errorMessage(error),
        };
      }
      result.durationMs = performance.now() - started;
      result.loadavg.after = os.loadavg();
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
    harness.cleanup();
  }
  const missed = results.flatMap((result) =>
    result.figures
      .filter((figure) => verdict(figure) === 'MISS')
      .map((figure) => `${result.name}: ${figure.name}`),
  );
  const crashed = results.filter((result) => result.error);
  console.log(
    `\nload average at the end ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}; results in bench-results/`,
  );
  console.log(
    missed.length === 0
      ? 'every figure with a target met it'
      : `missed targets (informational):\n  ${missed.join('\n  ')}`,
  );
  if (crashed.length > 0)
    console.error(`crashed: ${crashed.map((result) => result.name).join(', ')}`);
  return crashed.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
