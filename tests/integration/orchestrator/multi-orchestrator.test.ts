import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openPostgres, postgresPool } from '../../../src/store/database.js';
import { API_KEY_MIGRATIONS, ApiKeyStore } from '../../../src/store/api-keys.js';
import { eventually } from '../../helpers/eventually.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import {
  startOrchestratorProcess,
  type OrchestratorProcess,
} from '../../helpers/orchestrator-process.js';
import type { WatchedProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/tmp.js';
import { startStepHost, stepsOf, type StepHost } from './helpers.js';
import { endPool } from './store-databases.js';

// Several orchestrators over one Postgres, each a real `atolye orchestrator` process with a data
// directory of its own (nothing local is shared but the workspaces): one key serves both, runs
// started on B finish on A after B is killed with SIGKILL, each step executed once, and a stream
// read from A after B died loses no event.

let root: ReturnType<typeof tempDir>;
let postgres: TestPostgres;
let storageUrl: string;
let host: StepHost;
let fixtureDir: string;
let key: string;
let keys: ApiKeyStore;
let pool: ReturnType<typeof postgresPool>;
/** Lives through every test: the orchestrator the others' runs go on to. */
let shared: OrchestratorProcess;
const processes: WatchedProcess[] = [];

const LEASE_MS = 3_000;

beforeAll(async () => {
  root = tempDir('atolye-multi-');
  fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  postgres = await startPostgres();
  storageUrl = await postgres.createDatabase('multi');
  host = await startStepHost(root.dir, fixtureDir);
  pool = postgresPool(storageUrl);
  keys = new ApiKeyStore(await openPostgres(pool, 'api-keys', API_KEY_MIGRATIONS));
  key = (await keys.create('multi-test')).key;
  shared = await orchestrator('a');
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop({ graceMs: 5_000 })));
  await host?.stop();
  if (pool) await endPool(pool);
  await postgres?.stop();
  root?.cleanup();
});

/** An orchestrator process on the shared database, with a data directory of its own. */
async function orchestrator(name: string): Promise<OrchestratorProcess> {
  const started = await startOrchestratorProcess(
    {
      ATOLYE_STORAGE_URL: storageUrl,
      ATOLYE_HOST_URL: host.url,
      ATOLYE_DATA_DIR: path.join(root.dir, name, 'data'),
      ATOLYE_LOG_DIR: path.join(root.dir, name, 'logs'),
      ATOLYE_WORKSPACE_ROOT: path.join(root.dir, 'workspaces'),
      ATOLYE_LEASE_MS: String(LEASE_MS),
      ATOLYE_POLL_MS: '200',
    },
    name,
  );
  processes.push(started.process);
  return started;
}

async function api<T>(url: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Run {
  run_id: string;
  thread_id: string;
  status: string;
}

test('two orchestrators share keys, threads and runs; runs of a killed one finish on the other, each step once', async () => {
  const [a, b] = [shared, await orchestrator('b')];

  // One key, one thread store: a thread made through B is there through A.
  const made = await api<{ thread_id: string }>(b.url, 'POST', '/threads', {});
  const seen = await api<{ thread_id: string }>(a.url, 'GET', `/threads/${made.thread_id}`);
  expect(seen.thread_id).toBe(made.thread_id);

  // Six runs started on B; each one's first act sleeps long enough to kill B under it.
  const runs: Run[] = [];
  for (let index = 0; index < 6; index += 1) {
    const thread = await api<{ thread_id: string }>(b.url, 'POST', '/threads', {});
    runs.push(
      await api<Run>(b.url, 'POST', `/threads/${thread.thread_id}/runs`, {
        assistant_id: 'atolye',
        input: { task: `block ${index}` },
      }),
    );
  }
  await eventually(
    'every run to have been planned',
    () => runs.every((run) => stepsOf(fixtureDir, run.run_id).includes('act')),
    { timeoutMs: 30_000 },
  );
  b.process.child.kill('SIGKILL');
  await b.process.exited;

  // A stream of one of them, read from A after B died, from its first event.
  const streamed = fetch(
    `${a.url}/threads/${runs[0]?.thread_id}/runs/${runs[0]?.run_id}/stream?stream_mode=values`,
    { headers: { 'x-api-key': key, 'last-event-id': '-1' } },
  ).then((response) => response.text());

  const ended = await Promise.all(
    runs.map((run) =>
      eventually(
        `run ${run.run_id} to end on A`,
        async () => {
          const now = await api<Run>(a.url, 'GET', `/threads/${run.thread_id}/runs/${run.run_id}`);
          return now.status === 'pending' || now.status === 'running' ? undefined : now;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      ),
    ),
  );
  expect(ended.map((run) => run.status)).toEqual(runs.map(() => 'success'));
  for (const run of runs) {
    // The act B was waiting on when it died finished on the host; A's call with the same
    // idempotency key got that reply instead of running it again.
    expect(stepsOf(fixtureDir, run.run_id)).toEqual([
      'plan',
      'act',
      'tools',
      'act',
      'review',
      'finalize',
    ]);
  }
  // What A streamed live equals what it replays now that the run has ended: nothing was lost.
  const live = await streamed;
  const replay = await fetch(
    `${a.url}/threads/${runs[0]?.thread_id}/runs/${runs[0]?.run_id}/stream?stream_mode=values`,
    { headers: { 'x-api-key': key, 'last-event-id': '-1' } },
  ).then((response) => response.text());
  expect(live).toMatch(/^event: end/m);
  expect(live.replace(/^: heartbeat\n\n/gm, '')).toBe(replay);
}, 180_000);

test('a key revoked through the shared store is refused by every orchestrator', async () => {
  const a = shared;
  const other = (await keys.create('to-revoke')).key;
  const status = async (): Promise<number> =>
    (await fetch(`${a.url}/threads/search`, { method: 'POST', headers: { 'x-api-key': other } }))
      .status;
  expect(await status()).toBe(200);
  await keys.revoke('to-revoke');
  expect(await status()).toBe(401);
}, 120_000);

test('a run executing on one orchestrator is cancelled through another', async () => {
  const [d, e] = [shared, await orchestrator('e')];
  const thread = await api<{ thread_id: string }>(e.url, 'POST', '/threads', {});
  const run = await api<Run>(e.url, 'POST', `/threads/${thread.thread_id}/runs`, {
    assistant_id: 'atolye',
    input: { task: 'block: cancelled elsewhere' },
  });
  await eventually('the run to reach its first act', () =>
    stepsOf(fixtureDir, run.run_id).includes('act'),
  );
  const cancelled = await api<Run & { stop_reason: string }>(
    d.url,
    'POST',
    `/threads/${thread.thread_id}/runs/${run.run_id}/cancel?wait=1`,
  );
  expect(cancelled).toMatchObject({ status: 'interrupted', stop_reason: 'cancelled' });
  // Cancelled while its first act ran: its tool call went through, no act came after.
  expect(stepsOf(fixtureDir, run.run_id).filter((step) => step === 'act')).toHaveLength(1);
}, 120_000);
