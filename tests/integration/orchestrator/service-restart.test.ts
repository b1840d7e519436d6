import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  readOrchestratorState,
  waitForOrchestrator,
} from '../../../src/deploy/local/orchestrator.js';
import { ApiKeyStore, apiKeysFile } from '../../../src/store/api-keys.js';
import { tempDir } from '../../helpers/tmp.js';
import { build, deployOk, hostConfig } from '../deploy/helpers.js';
import { FUNCTIONS_DIR, startOrchestratorHost, stepsOf, type OrchestratorHost } from './helpers.js';
import { eventually } from '../../helpers/eventually.js';

// The orchestrator as the worker host runs it: a real `atolye orchestrator` process supervised by
// the host. Killed with SIGKILL in the middle of a run, it is restarted by the host, and the new
// process resumes the run from its last checkpoint: plan is not run again, the run succeeds.

let root: ReturnType<typeof tempDir>;
let dataDir: string;
let fixtureDir: string;
let host: OrchestratorHost | undefined;
let key: string;

beforeAll(async () => {
  root = tempDir('atolye-service-');
  fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  host = await startOrchestratorHost(root.dir, { ...process.env, ORCH_FIXTURE_DIR: fixtureDir });
  dataDir = host.dataDir;
  await deployOk(host, await build(FUNCTIONS_DIR, path.join(root.dir, 'dist')));
  const keys = ApiKeyStore.inFile(apiKeysFile(dataDir));
  key = (await keys.create('service-test')).key;
  await keys.close();
}, 60_000);

afterAll(async () => {
  await host?.stop();
  root?.cleanup();
});

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

test('a run survives SIGKILL of the orchestrator: the host restarts it and it resumes', async () => {
  const config = hostConfig(dataDir, path.join(root.dir, 'logs'));
  const first = await waitForOrchestrator(config, { timeoutMs: 30_000 });

  const thread = await api<{ thread_id: string }>(first.url, 'POST', '/threads', {});
  const run = await api<{ run_id: string }>(
    first.url,
    'POST',
    `/threads/${thread.thread_id}/runs`,
    {
      assistant_id: 'atolye',
      input: { task: 'block until the orchestrator dies' },
    },
  );
  // The first act sleeps 2.5 s: kill the orchestrator while it waits for it.
  await eventually('the first act call', () => stepsOf(fixtureDir, run.run_id).includes('act'));
  process.kill(first.pid, 'SIGKILL');

  const second = await waitForOrchestrator(config, { timeoutMs: 30_000, notPid: first.pid });
  expect(second.pid).not.toBe(first.pid);
  const values = await api<Record<string, unknown>>(
    second.url,
    'GET',
    `/threads/${thread.thread_id}/runs/${run.run_id}/join`,
  );
  expect(values).toMatchObject({ status: 'success' });
  const ended = await api<{ status: string }>(
    second.url,
    'GET',
    `/threads/${thread.thread_id}/runs/${run.run_id}`,
  );
  expect(ended.status).toBe('success');
  expect(stepsOf(fixtureDir, run.run_id).filter((step) => step === 'plan')).toHaveLength(1);

  const status = await fetch(`${host!.url}/admin/status`, {
    headers: { authorization: `Bearer ${config.security.adminToken}` },
  });
  const { services } = (await status.json()) as {
    services: { name: string; restarts: number; lastExit?: { signal: string } }[];
  };
  expect(services).toEqual([
    expect.objectContaining({
      name: 'orchestrator',
      restarts: 1,
      lastExit: expect.objectContaining({ signal: 'SIGKILL' }),
    }),
  ]);
  // The orchestrator's records reached the channel files through the host, as records of their
  // own (service "orchestrator"), not as lines of its output: one process writes those files.
  const system = readFileSync(path.join(root.dir, 'logs', 'system.log'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { service: string; msg: string; stream?: string });
  const listening = system.filter((record) => record.msg.startsWith('orchestrator listening on'));
  expect(listening).toHaveLength(2);
  expect(listening.every((record) => record.service === 'orchestrator' && !record.stream)).toBe(
    true,
  );
  const agent = readFileSync(path.join(root.dir, 'logs', 'agent.log'), 'utf8');
  expect(agent).toContain('run resumed from its last checkpoint');
  expect(readOrchestratorState(config)?.pid).toBe(second.pid);
}, 90_000);
