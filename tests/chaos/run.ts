/**
 * `npm run chaos [-- --quick] [-- --scenario NAME]`: the load of `npm run load` (the product as
 * a user runs it, driven through the HTTP API) while a fault injector works against it, one
 * scenario per round on a product of its own: workers SIGKILLed, the orchestrator SIGKILLed or
 * SIGTERMed, the model server down, slow, failing or cutting its replies, the log disk full, the
 * host paused. Per scenario: runs succeeded, failed by code, lost; the client's failed requests
 * by kind; and whether each failed run is in the errors channel and in Sentry (a local ingest
 * server) exactly once. Prints the tables and the misses with their evidence, writes
 * bench-results/chaos.json. Bounded by --max-minutes. Exit code 0 unless the harness broke.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveFromRoot } from '../../src/config/paths.js';
import { MANIFEST_FILE, parseManifest, type Manifest } from '../../src/runtime/bundle/manifest.js';
import { freePort } from '../helpers/free-port.js';
import { startIngest } from '../integration/monitoring/fixtures/ingest.js';
import { section } from '../load/figures.js';
import { boundedRun, sectionStart, type BoundedReport } from '../performance/bounded-run.js';
import { runScript } from '../performance/command-line.js';
import { createHarness } from '../performance/harness.js';
import { formatMachine, machine } from '../performance/machine.js';
import { formatSummary, formatTable } from '../performance/report.js';
import { writeJson } from '../performance/results.js';
import { misses, scenarioFigures } from './figures.js';
import { LogDiskUnavailable, unmountAll } from './log-disk.js';
import { startModelFront } from './model-front.js';
import { parseOptions, USAGE, type ChaosOptions } from './options.js';
import { runScenario, type ScenarioResult } from './round.js';
import { SCENARIOS } from './scenarios.js';

/** Runs not terminal this long after submission ended are lost; a join waits at most runMaxMs. */
const BOUNDS = {
  full: { lostBoundMs: 60_000, runMaxMs: 120_000, closeMs: 45_000 },
  quick: { lostBoundMs: 45_000, runMaxMs: 90_000, closeMs: 45_000 },
};
/** The run API's per-key rate limit, raised as in `npm run load`: one key sends every request. */
const RATE_LIMIT = '1000000';
/** The model answers each call after this long: a model, not an echo, and runs long enough to be hit. */
const MODEL_LATENCY_MS = { min: 100, max: 300 };

interface Report extends BoundedReport {
  scenarios: ScenarioResult[];
  misses: string[];
}

async function main(options: ChaosOptions): Promise<number> {
  const bounds = options.quick ? BOUNDS.quick : BOUNDS.full;
  const began = performance.now();
  const harness = createHarness({ quick: options.quick });
  const report: Report = {
    startedAt: new Date().toISOString(),
    settings: {
      ...options,
      help: undefined,
      ...bounds,
      modelLatencyMs: MODEL_LATENCY_MS,
      rateLimitPerMinute: Number(RATE_LIMIT),
    },
    machine: machine(),
    sections: [],
    scenarios: [],
    misses: [],
    notes: [],
  };
  console.log(formatMachine(report.machine) + (options.quick ? '; --quick' : ''));
  const left = (): number => options.maxMs - (performance.now() - began);
  let interrupted = false;
  const stopNow = new AbortController();

  return boundedRun({
    name: 'chaos',
    harness,
    report,
    began,
    maxMs: options.maxMs,
    finish() {
      console.log(`\n${formatSummary(report.sections)}`);
      if (report.misses.length > 0) console.log(`\n${report.misses.join('\n')}`);
      for (const note of report.notes) console.log(`note: ${note}`);
      return writeJson('chaos', report);
    },
    interrupt() {
      interrupted = true;
      stopNow.abort();
    },
    // A log disk mounted under the harness's folder would keep it from being removed.
    release: unmountAll,
    async body(closers) {
      let broke = false;
      const dist = await harness.dist();
      const front = await startModelFront(harness);
      closers.push(() => front.close());
      front.latencyMs = MODEL_LATENCY_MS;
      const ingest = await startIngest();
      closers.push(() => ingest.close());
      const functions = dist.manifest.functions.map((fn) => fn.name);
      const retries = stepRetriesNote(dist.manifest);
      if (retries) {
        report.notes.push(retries);
        console.error(`note: ${retries}`);
      }

      const chosen = SCENARIOS.filter((scenario) => options.scenarios.includes(scenario.name));
      for (const [index, scenario] of chosen.entries()) {
        if (interrupted) {
          report.notes.push(`${scenario.name}: skipped, interrupted`);
          continue;
        }
        // Each scenario gets an equal share of what is left; its runs stop starting in time for
        // the lost bound and the close to fit in it.
        const share = left() / (chosen.length - index);
        const submitMs = Math.floor(share - bounds.lostBoundMs - bounds.closeMs);
        if (submitMs < 30_000) {
          report.notes.push(`${scenario.name}: skipped, too little time left`);
          continue;
        }
        const deadline = AbortSignal.any([stopNow.signal, AbortSignal.timeout(submitMs)]);
        const started = sectionStart();
        console.error(`${scenario.name}: ${scenario.description}`);
        try {
          const result = await runScenario(harness, scenario, front, ingest, {
            runs: options.runs,
            concurrency: options.concurrency,
            lostBoundMs: bounds.lostBoundMs,
            runMaxMs: bounds.runMaxMs,
            deadline,
            functions,
            settings: {
              'api.rateLimitPerMinute': RATE_LIMIT,
              // A fixed port, as a user's: the restarted orchestrator serves the API where it was.
              'api.port': String(await freePort()),
              'sentry.dsn': ingest.dsn,
              // Error events are what is counted; no transactions to store and sift.
              'sentry.tracesSampleRate': '0',
            },
          });
          report.scenarios.push(result);
          const figures = scenarioFigures(scenario, result, bounds.lostBoundMs);
          const done = section(
            scenario.name,
            scenario.description,
            started,
            figures,
            { promise: scenario.promise, notes: result.notes },
            os.loadavg(),
          );
          report.sections.push(done);
          report.misses.push(...misses(scenario.name, figures));
          console.log(`\n${formatTable(done)}`);
        } catch (error) {
          if (error instanceof LogDiskUnavailable) {
            report.notes.push(`${scenario.name}: skipped, ${error.message}`);
            continue;
          }
          const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
          report.sections.push({
            ...section(scenario.name, scenario.description, started, [], {}, os.loadavg()),
            error: message,
          });
          console.error(`${scenario.name} broke: ${message}`);
          broke = true;
        }
      }
      return broke;
    },
  });
}

/**
 * The orchestrator takes each step's declared retries from `dist/manifest.json` at the project
 * root, not from the build deployed to the host (the harness deploys its own): say so when that
 * file is missing or declares other retries, since every figure here depends on them.
 */
function stepRetriesNote(deployed: Manifest): string | undefined {
  const file = resolveFromRoot(path.join('dist', MANIFEST_FILE));
  let local: Manifest;
  try {
    local = parseManifest(readFileSync(file, 'utf8'), file);
  } catch {
    return `no ${path.relative(process.cwd(), file)}: the orchestrator retries no step in these rounds (run \`npm run build\` first for the declared retries)`;
  }
  const retriesOf = (manifest: Manifest): string =>
    manifest.functions.map((fn) => `${fn.name} ${fn.limits.retries}`).join(', ');
  return retriesOf(local) === retriesOf(deployed)
    ? undefined
    : `the orchestrator retries steps as ${file} declares (${retriesOf(local)}), not as the deployed build does (${retriesOf(deployed)})`;
}

runScript(parseOptions, USAGE, main);
