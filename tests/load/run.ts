/**
 * `npm run load [-- --quick] [-- --runs N --concurrency C --latency-ms L …]`: the product under
 * load as a user runs it (`atolye host` with its orchestrator, the real step functions and
 * sandbox, `atolye mock-llm` as the model, one API key), driven through the HTTP API: runs per
 * minute, run duration, HTTP errors, runs lost, and the RSS of the host, the orchestrator and the
 * workers before and after (the leak check); then the worker host alone under signed calls.
 * Prints the figures and writes bench-results/load.json. Bounded by --max-minutes: it then stops
 * everything and reports what it has. Exit code 0 unless the harness itself broke.
 */
import os from 'node:os';
import { boundedRun, sectionStart, type BoundedReport } from '../performance/bounded-run.js';
import { runScript } from '../performance/command-line.js';
import { createHarness } from '../performance/harness.js';
import { formatMachine, machine } from '../performance/machine.js';
import { formatSummary, formatTable } from '../performance/report.js';
import { writeJson } from '../performance/results.js';
import { startProduct } from '../performance/stack.js';
import { hostAloneFigures, latencyLabel, memoryFigures, roundFigures, section } from './figures.js';
import { hostAlone } from './host-alone.js';
import { snapshot, type MemorySnapshot, type Watched } from './memory.js';
import { startModelRouter } from './model-router.js';
import { parseOptions, USAGE, type LoadOptions } from './options.js';
import { driveRuns, type RoundResult } from './runs.js';

/** Runs not terminal this long after submission ended are lost; a join waits at most runMaxMs. */
const BOUNDS = {
  full: { lostBoundMs: 45_000, runMaxMs: 120_000, closeMs: 45_000 },
  quick: { lostBoundMs: 15_000, runMaxMs: 60_000, closeMs: 45_000 },
};
/** Lets a finished round's clean-up (workspaces, worker replies) settle before RSS is read. */
const SETTLE_MS = 2_000;
/** The run API's per-key rate limit, raised: the load client is one key sending 4 requests a run. */
const RATE_LIMIT = '1000000';

interface Report extends BoundedReport {
  memory: MemorySnapshot[];
  /** Taken every 10 s while the rounds ran (TICK_MS in runs.ts), labelled with their round. */
  trend: MemorySnapshot[];
  rounds: Omit<RoundResult, 'runs'>[];
  /** The runs that did not succeed, one by one. */
  unsuccessful: (RoundResult['runs'][number] & { round: string })[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(options: LoadOptions): Promise<number> {
  const bounds = options.quick ? BOUNDS.quick : BOUNDS.full;
  const began = performance.now();
  const harness = createHarness({ quick: options.quick });
  const report: Report = {
    startedAt: new Date().toISOString(),
    settings: { ...options, help: undefined, ...bounds, rateLimitPerMinute: Number(RATE_LIMIT) },
    machine: machine(),
    sections: [],
    memory: [],
    trend: [],
    rounds: [],
    unsuccessful: [],
    notes: [],
  };
  console.log(formatMachine(report.machine) + (options.quick ? '; --quick' : ''));
  let printed = 0;
  const emit = (): void => {
    for (const result of report.sections.slice(printed)) console.log(`\n${formatTable(result)}`);
    printed = report.sections.length;
  };
  const finish = (): string => {
    if (report.memory.length > 0) {
      report.sections.push(
        section(
          'memory',
          'VmRSS of the host, the orchestrator and the workers (the leak check)',
          sectionStart(),
          memoryFigures(report.memory, report.trend),
          {},
          report.loadavgAfter ?? os.loadavg(),
        ),
      );
    }
    emit();
    console.log(`\n${formatSummary(report.sections)}`);
    for (const note of report.notes) console.log(`note: ${note}`);
    return writeJson('load', report);
  };

  // No run starts after the soft deadline; what is left of --max-minutes ends the rounds and closes.
  const deadline = new AbortController();
  const soft = setTimeout(
    () => deadline.abort(),
    Math.max(0, options.maxMs - bounds.lostBoundMs - bounds.closeMs),
  );
  const left = (): number => options.maxMs - (performance.now() - began);

  return boundedRun({
    name: 'load',
    harness,
    report,
    began,
    maxMs: options.maxMs,
    finish,
    interrupt: () => deadline.abort(),
    body: async (closers) => {
      const dist = await harness.dist();
      const router = await startModelRouter(harness, options.concurrency);
      closers.push(() => router.close());
      const product = await startProduct(harness, harness.dir('stack'), {
        modelUrl: router.url,
        settings: { 'api.rateLimitPerMinute': RATE_LIMIT },
      });
      closers.push(product.close);
      const watched: Watched = {
        hostPid: product.hostPid,
        orchestratorPid: product.orchestratorPid,
        functions: dist.manifest.functions.map((fn) => fn.name),
      };
      let runsSoFar = 0;
      const remember = async (label: string, afterRound = false): Promise<MemorySnapshot> => {
        await sleep(SETTLE_MS);
        const taken = await snapshot(label, runsSoFar, watched, afterRound);
        report.memory.push(taken);
        return taken;
      };
      await remember('idle after the deploy');

      const round = async (
        label: string,
        runs: number,
        latencyMs: { min: number; max: number },
      ): Promise<RoundResult> => {
        router.latencyMs = latencyMs;
        const result = await driveRuns(product, router, {
          label,
          runs,
          concurrency: options.concurrency,
          ...bounds,
          deadline: deadline.signal,
          onProgress(ended) {
            if (label === 'warm-up') return;
            void snapshot(label, runsSoFar + ended, watched).then(
              (taken) => report.trend.push(taken),
              () => undefined,
            );
          },
        });
        runsSoFar += result.runs.length;
        const { runs: records, ...summary } = result;
        report.rounds.push(summary);
        for (const record of records)
          if (record.status !== 'success') report.unsuccessful.push({ ...record, round: label });
        return result;
      };

      const warmup = await round('warm-up', options.concurrency * (options.quick ? 1 : 2), {
        min: 0,
        max: 0,
      });
      report.notes.push(
        `warm-up: ${warmup.runs.length} runs, statuses ${JSON.stringify(warmup.statuses)}`,
      );
      await remember('after warm-up');

      const rounds: [string, number, { min: number; max: number }][] = [
        ['model 0 ms', options.runs, { min: 0, max: 0 }],
        [`model ${latencyLabel(options.latencyMs)}`, options.latencyRuns, options.latencyMs],
      ];
      for (const [label, runs, latencyMs] of rounds) {
        if (runs === 0) continue;
        if (deadline.signal.aborted) {
          report.notes.push(`${label}: skipped, the deadline had passed`);
          continue;
        }
        const started = sectionStart();
        const before = report.memory.at(-1) as MemorySnapshot;
        const result = await round(label, runs, latencyMs);
        const after = await remember(`after ${runsSoFar} runs (${label})`, true);
        report.sections.push(
          section(
            `runs, ${label}`,
            `the one-file task through the HTTP API, ${options.concurrency} at a time`,
            started,
            roundFigures(result, bounds.lostBoundMs, { before, after }),
            { latencyMs, statuses: result.statuses, httpErrors: result.httpErrors },
            os.loadavg(),
          ),
        );
        emit();
      }

      // Its own bound: a client start, a short warm-up and hostMs, then the stack must still close.
      if (options.hostConcurrency > 0 && left() > options.hostMs + 20_000 + bounds.closeMs) {
        const started = sectionStart();
        const result = await hostAlone(harness, product, {
          concurrency: options.hostConcurrency,
          maxMs: options.hostMs,
        });
        await remember('after the worker host alone');
        // The client sends no samples unless asked; the summary is all the report keeps.
        const summary = { ...result, samples: undefined };
        report.sections.push(
          section(
            'worker host alone',
            `signed POST /fn/echo, ${options.hostConcurrency} at a time for ${options.hostMs / 1000} s`,
            started,
            hostAloneFigures(result),
            summary,
            os.loadavg(),
          ),
        );
        emit();
      } else if (options.hostConcurrency > 0) {
        report.notes.push('worker host alone: skipped, too little time left');
      }
      return false;
    },
  }).finally(() => clearTimeout(soft));
}

runScript(parseOptions, USAGE, main);
