import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/index.js';
import { startHost } from '../../src/deploy/local/host.js';
import { createLogging } from '../../src/logging/index.js';
import { createExecutor } from '../../src/orchestrator/index.js';
import { buildFunctions } from '../../src/runtime/bundle/index.js';
import { adminCall } from '../../src/deploy/local/deploy.js';
import type { Benchmark } from './harness.js';
import { atMost, type Figure } from './figures.js';
import { summarize } from './stats.js';

/** The scripted steps of the orchestrator tests: no model, no sandbox, next to no work. */
const FIXTURES = fileURLToPath(
  new URL('../integration/orchestrator/fixtures/functions', import.meta.url),
);
const FULL = { warmupRuns: 5, runs: 40 };
const QUICK = { warmupRuns: 2, runs: 12 };
/** DESIGN.md: what the orchestrator adds per step, with a zero-latency model, ≤ 3 ms. */
const PER_STEP_MAX_MS = 3;
/** plan, act, tools, act, review, finalize. */
const STEPS_PER_RUN = 6;

/**
 * What the orchestrator adds per agent step with a zero-latency model: the real executor (graph,
 * SQLite checkpoint after every step, event log) driving scripted step functions on a real host.
 * Baseline: the same runs' step calls as the step client timed them (the remote calls alone).
 */
export const orchestratorOverhead: Benchmark = {
  name: 'orchestrator-overhead',
  description: 'a 6-step run through the executor vs the sum of its remote step calls',
  async run(ctx) {
    const { warmupRuns, runs: RUNS } = ctx.quick ? QUICK : FULL;
    const root = ctx.dir('orchestrator');
    const config = loadConfig({
      env: 'testing',
      overrides: {
        'storage.dataDir': path.join(root, 'host-data'),
        'logging.dir': path.join(root, 'logs'),
      },
    }).config;
    const logging = createLogging(config, { service: 'bench' });
    const fixtureDir = ctx.dir('fixture');
    const host = await startHost(config, {
      port: 0,
      logging,
      env: { ...process.env, ORCH_FIXTURE_DIR: fixtureDir },
    });
    const stepMs = new Map<string, number>();
    const executor = createExecutor({
      config,
      hostUrl: host.address.url,
      signingSecret: config.security.signingSecret,
      dataDir: path.join(root, 'orchestrator-data'),
      logging,
      onStep: (record, runId) => {
        if (runId) stepMs.set(runId, (stepMs.get(runId) ?? 0) + record.durationMs);
      },
    });
    try {
      const outDir = path.join(root, 'dist');
      const manifest = await buildFunctions({ functionsDir: FIXTURES, outDir });
      await adminCall(config, host.address.url, 'POST', '/admin/deployments', {
        manifest,
        distDir: outDir,
      });
      const runMs: number[] = [];
      const callsMs: number[] = [];
      for (let i = 0; i < warmupRuns + RUNS; i += 1) {
        const started = performance.now();
        const runId = await executor.startRun(`bench-${i}`, 'write notes');
        const run = await executor.waitFor(runId);
        const elapsed = performance.now() - started;
        if (run.status !== 'success') throw new Error(`run ${i} ended ${run.status}`);
        if (i < warmupRuns) continue;
        runMs.push(elapsed);
        callsMs.push(stepMs.get(runId) ?? Number.NaN);
      }
      const runs = summarize(runMs);
      const calls = summarize(callsMs);
      const overheadPerStep = summarize(
        runMs.map((value, index) => (value - (callsMs[index] ?? 0)) / STEPS_PER_RUN),
      );
      const figures: Figure[] = [
        {
          name: 'per step p50, orchestrator alone (run − its calls)',
          value: overheadPerStep.p50,
          unit: 'ms',
          baseline: { name: 'its remote step call p50', value: calls.p50 / STEPS_PER_RUN },
          target: atMost(PER_STEP_MAX_MS),
          note: `graph + SQLite checkpoint + event log between the remote calls; scripted steps (a zero-latency model); ${RUNS} runs after ${warmupRuns} warm-up; p90 ${overheadPerStep.p90.toFixed(2)} ms`,
        },
        {
          name: '6-step run p50 (graph, checkpoints, remote calls)',
          value: runs.p50,
          unit: 'ms',
          baseline: { name: 'its 6 remote step calls', value: calls.p50 },
        },
      ];
      return { figures, details: { runs, calls, overheadPerStep, n: RUNS } };
    } finally {
      await executor.close();
      await host.close();
      await logging.close();
    }
  },
};
