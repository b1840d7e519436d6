import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiTarget, type StorageKind } from './api-target.js';
import { apiProperties } from './api.fuzz.js';
import { startHostTarget } from './host-target.js';
import { hostProperties } from './host.fuzz.js';
import { runProperty, type FuzzProperty, type FuzzSettings } from './property.js';
import { Tally } from './tally.js';

/**
 * `npm run fuzz`: every property against a real run API (SQLite and Postgres) and a real worker
 * host, FUZZ_RUNS runs each, within FUZZ_TIME_LIMIT_S seconds in all. Prints the seed (replay
 * with FUZZ_SEED), the counts and any shrunk counterexample; writes bench-results/fuzz.json.
 * Exits 1 when an invariant broke.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const env = process.env;
const runs = Number(env.FUZZ_RUNS ?? 2_000);
const seed =
  env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(env.FUZZ_SEED);
const boundMs = Number(env.FUZZ_BOUND_MS ?? 5_000);
const budgetMs = Number(env.FUZZ_TIME_LIMIT_S ?? 300) * 1_000;
const storages = (env.FUZZ_STORAGE ?? 'sqlite,postgres')
  .split(',')
  .filter(Boolean) as StorageKind[];
const only = env.FUZZ_ONLY; // a part of a property's name, to run only those

const started = Date.now();
// The properties stop themselves at the budget; this ends a run whose server stopped answering.
setTimeout(() => {
  console.error(`fuzz: still running ${Math.round(budgetMs / 1000) + 120} s in: giving up`);
  process.exit(2);
}, budgetMs + 120_000).unref();

console.log(
  `fuzz: seed ${seed} (replay with FUZZ_SEED=${seed}), ${runs} runs per property, bound ${boundMs} ms, storage ${storages.join('+')}`,
);

const tally = new Tally();
const results: Awaited<ReturnType<typeof runProperty>>[] = [];
const plan: {
  label: string;
  start: () => Promise<{ properties: (s: FuzzSettings) => FuzzProperty[]; stop(): Promise<void> }>;
}[] = [
  ...storages.map((storage) => ({
    label: `run API (${storage})`,
    start: async () => {
      const target = await startApiTarget(storage);
      return {
        properties: (s: FuzzSettings) =>
          apiProperties(target, s).map((p) => ({ ...p, name: `${p.name} [${storage}]` })),
        stop: target.stop,
      };
    },
  })),
  {
    label: 'worker host',
    start: async () => {
      const target = await startHostTarget();
      return { properties: (s: FuzzSettings) => hostProperties(target, s), stop: target.stop };
    },
  },
];

/**
 * Shares of the time budget: the OpenAPI routes property waits for runs and reads the store and
 * the workspaces around each refused write; the others only send.
 */
const weightOf = (name: string): number => (name.includes('OpenAPI') ? 4 : 1);
let weightLeft = storages.length * (4 + 1) + 3;
for (const step of plan) {
  console.log(`fuzz: starting ${step.label}`);
  const target = await step.start();
  try {
    const probe: FuzzSettings = { numRuns: runs, seed, boundMs, tally };
    for (const fuzz of target.properties(probe)) {
      const remaining = budgetMs - (Date.now() - started);
      const share = (remaining * weightOf(fuzz.name)) / Math.max(1, weightLeft);
      const settings = { ...probe, timeLimitMs: Math.max(5_000, Math.floor(share)) };
      weightLeft -= weightOf(fuzz.name);
      if (only && !fuzz.name.includes(only)) continue;
      const sentBefore = tally.sent;
      const result = await runProperty(fuzz, settings);
      results.push(result);
      console.log(
        `fuzz: ${result.failed ? 'FAILED' : 'ok    '} ${fuzz.name}: ${result.ran} runs, ${tally.sent - sentBefore} requests`,
      );
      if (result.report) console.log(result.report);
    }
  } finally {
    await target.stop();
  }
}

const summary = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  },
  seed,
  runsPerProperty: runs,
  boundMs,
  storage: storages,
  durationS: Math.round((Date.now() - started) / 1000),
  properties: results.map(({ name, ran, failed }) => ({ name, ran, failed })),
  ...tally.toJSON(),
};
const out = path.join(ROOT, 'bench-results', 'fuzz.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);

console.log(
  `fuzz: ${tally.sent} requests in ${summary.durationS} s; answers ${JSON.stringify(tally.answers)}`,
);
console.log(
  `fuzz: "nothing written" checked for ${tally.writeChecks} refused requests (${tally.writeChecksSkipped} skipped: runs still busy)`,
);
for (const [route, counts] of Object.entries(tally.routes).sort(([a], [b]) => a.localeCompare(b)))
  console.log(`  ${route.padEnd(60)} ${JSON.stringify(counts)}`);
console.log(`fuzz: ${tally.failures.length} distinct failures; wrote ${path.relative(ROOT, out)}`);
process.exit(results.some((result) => result.failed) ? 1 : 0);
