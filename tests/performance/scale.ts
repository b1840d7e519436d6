import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/index.js';
import { adminCall } from '../../src/deploy/local/deploy.js';
import { startHost } from '../../src/deploy/local/host.js';
import { createLogging } from '../../src/logging/index.js';
import { buildFunctions } from '../../src/runtime/bundle/index.js';
import { API_KEY_MIGRATIONS, ApiKeyStore, apiKeysFile } from '../../src/store/api-keys.js';
import { openStorage } from '../../src/store/storage.js';
import { startPostgres } from '../helpers/postgres.js';
import { startOrchestratorProcess } from '../helpers/orchestrator-process.js';
import type { WatchedProcess } from '../helpers/processes.js';
import type { Figure } from './figures.js';
import type { BenchContext, Benchmark } from './harness.js';

/**
 * Runs per minute through the run API with 1, 2 and 3 orchestrators on one Postgres, beside one
 * orchestrator on SQLite (the single-machine default), each orchestrator a real `atolye
 * orchestrator` process. The steps are the orchestrator tests' scripted functions on one host: no
 * model latency and next to no work, so what is measured is the orchestrators' own share.
 */

const FIXTURES = fileURLToPath(
  new URL('../integration/orchestrator/fixtures/functions', import.meta.url),
);
const FULL = { runs: 120, concurrency: 12 };
const QUICK = { runs: 36, concurrency: 6 };

interface Setup {
  name: string;
  orchestrators: number;
  postgres: boolean;
}

const SETUPS: Setup[] = [
  { name: 'SQLite, 1 orchestrator', orchestrators: 1, postgres: false },
  { name: 'Postgres, 1 orchestrator', orchestrators: 1, postgres: true },
  { name: 'Postgres, 2 orchestrators', orchestrators: 2, postgres: true },
  { name: 'Postgres, 3 orchestrators', orchestrators: 3, postgres: true },
];

export const scale: Benchmark = {
  name: 'scale',
  description: 'runs per minute with 1, 2 and 3 orchestrators on Postgres vs 1 on SQLite',
  async run(ctx) {
    const { runs, concurrency } = ctx.quick ? QUICK : FULL;
    const root = ctx.dir('scale');
    const config = loadConfig({
      env: 'testing',
      overrides: {
        'storage.dataDir': path.join(root, 'host-data'),
        'logging.dir': path.join(root, 'host-logs'),
      },
    }).config;
    const logging = createLogging(config, { service: 'bench' });
    const host = await startHost(config, {
      port: 0,
      logging,
      env: { ...process.env, ORCH_FIXTURE_DIR: ctx.dir('fixture') },
    });
    const postgres = await startPostgres();
    try {
      const outDir = path.join(root, 'dist');
      const manifest = await buildFunctions({ functionsDir: FIXTURES, outDir });
      await adminCall(config, host.address.url, 'POST', '/admin/deployments', {
        manifest,
        distDir: outDir,
      });
      const results: { setup: Setup; perMinute: number; failed: number }[] = [];
      for (const [index, setup] of SETUPS.entries()) {
        const dir = ctx.dir(`setup-${index}`);
        const url = setup.postgres ? await postgres.createDatabase(`scale${index}`) : '';
        results.push({
          setup,
          ...(await measure(ctx, {
            setup,
            dir,
            url,
            hostUrl: host.address.url,
            runs,
            concurrency,
          })),
        });
      }
      const baseline = results[0] as (typeof results)[number];
      const figures: Figure[] = results.map(({ setup, perMinute, failed }) => ({
        name: `runs per minute, ${setup.name}`,
        value: perMinute,
        unit: 'runs/min',
        baseline: { name: baseline.setup.name, value: baseline.perMinute },
        note: `${runs} six-step runs, ${concurrency} at a time through the HTTP API, spread over the orchestrators${failed > 0 ? `; ${failed} did not succeed` : ''}`,
      }));
      return { figures, details: { runs, concurrency, results } };
    } finally {
      await host.close();
      await postgres.stop();
      await logging.close();
    }
  },
};

interface Round {
  setup: Setup;
  dir: string;
  url: string;
  hostUrl: string;
  runs: number;
  concurrency: number;
}

async function measure(
  ctx: BenchContext,
  round: Round,
): Promise<{ perMinute: number; failed: number }> {
  const { setup, dir, url } = round;
  const dataDir = (n: number): string => path.join(dir, setup.postgres ? `data-${n}` : 'data');
  // The key goes where the orchestrators read keys: the shared database, or the SQLite file.
  const storage = openStorage({ url });
  const keys = new ApiKeyStore(
    await storage.open('api-keys', apiKeysFile(dataDir(0)), API_KEY_MIGRATIONS),
  );
  const { key } = await keys.create('bench');
  await storage.close();

  const processes: WatchedProcess[] = [];
  try {
    const urls: string[] = [];
    for (let n = 0; n < setup.orchestrators; n += 1) {
      const { url: listening, process: child } = await startOrchestratorProcess({
        ATOLYE_STORAGE_URL: url,
        ATOLYE_HOST_URL: round.hostUrl,
        ATOLYE_DATA_DIR: dataDir(n),
        ATOLYE_LOG_DIR: path.join(dir, `logs-${n}`),
        ATOLYE_WORKSPACE_ROOT: path.join(dir, 'workspaces'),
        ATOLYE_API_RATE_LIMIT: '100000',
        // Three orchestrators × two pools within the test cluster's 30 connections.
        ATOLYE_STORAGE_POOL_SIZE: '4',
      });
      ctx.adopt(child.child.pid as number);
      processes.push(child);
      urls.push(listening as string);
    }
    const call = async <T>(
      base: string,
      method: string,
      route: string,
      body?: unknown,
    ): Promise<T> => {
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok)
        throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    let next = 0;
    let failed = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      for (let index = next++; index < round.runs; index = next++) {
        const base = urls[index % urls.length] as string;
        const thread = await call<{ thread_id: string }>(base, 'POST', '/threads', {});
        const values = await call<Record<string, unknown>>(
          base,
          'POST',
          `/threads/${thread.thread_id}/runs/wait`,
          { assistant_id: 'atolye', input: { task: `write notes ${index}` } },
        );
        if ('__error__' in values) failed += 1;
      }
    };
    await Promise.all(Array.from({ length: round.concurrency }, () => worker()));
    const elapsedMs = performance.now() - started;
    return { perMinute: (round.runs / elapsedMs) * 60_000, failed };
  } finally {
    await Promise.all(processes.map((child) => child.stop({ graceMs: 10_000 })));
  }
}
