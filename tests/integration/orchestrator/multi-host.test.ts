import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../src/config/index.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { startOrchestrator, type RunningOrchestrator } from '../../../src/orchestrator/service.js';
import { eventually } from '../../helpers/eventually.js';
import { startProcess, type WatchedProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/tmp.js';
import { build, deployOk, hostConfig } from '../deploy/helpers.js';
import { FUNCTIONS_DIR, stepsOf } from './helpers.js';

// One orchestrator, two worker hosts (real `atolye host` processes, each journalling its calls in
// a folder of its own). The host running a step is killed with SIGKILL, its workers with it: the
// step's retry goes to the other host and the run succeeds; the failed call cost one retry.

let root: ReturnType<typeof tempDir>;
let logging: Logging;
let orchestrator: RunningOrchestrator | undefined;
const hosts: { url: string; journal: string; process: WatchedProcess }[] = [];

async function startHostProcess(name: string): Promise<(typeof hosts)[number]> {
  const journal = path.join(root.dir, name, 'journal');
  mkdirSync(journal, { recursive: true });
  const config = hostConfig(path.join(root.dir, name, 'data'), path.join(root.dir, name, 'logs'));
  const child = startProcess(
    process.execPath,
    [path.join(projectRoot(), 'bin', 'atolye.js'), 'host', '--port', '0', '--no-orchestrator'],
    {
      cwd: projectRoot(),
      // Its own process group: the kill takes its workers too, as losing the machine would.
      detached: true,
      env: {
        ...process.env,
        ATOLYE_ENV: 'testing',
        ATOLYE_DATA_DIR: config.storage.dataDir,
        ATOLYE_LOG_DIR: config.logging.dir,
        ORCH_FIXTURE_DIR: journal,
      },
    },
  );
  const [, url] = await child.waitFor(
    /worker host listening on (http:\/\/\S+)/,
    `${name} to listen`,
    {
      timeoutMs: 60_000,
    },
  );
  await deployOk(
    { url: url as string, config },
    await build(FUNCTIONS_DIR, path.join(root.dir, name, 'dist')),
  );
  const host = { url: url as string, journal, process: child };
  hosts.push(host);
  return host;
}

beforeAll(async () => {
  root = tempDir('atolye-hosts-');
  await Promise.all([startHostProcess('one'), startHostProcess('two')]);
  const config = hostConfig(path.join(root.dir, 'orchestrator'), path.join(root.dir, 'logs'), {
    'workspace.root': path.join(root.dir, 'workspaces'),
  });
  logging = createLogging(config, { service: 'orchestrator', release: 'test-release' });
  orchestrator = await startOrchestrator(config, {
    port: 0,
    hostUrl: hosts.map((host) => host.url).join(','),
    logging,
    retry: { initialInterval: 50, jitter: false },
    distDir: path.join(root.dir, 'one', 'dist'),
  });
}, 120_000);

afterAll(async () => {
  await orchestrator?.close();
  await Promise.all(hosts.map((host) => host.process.stop({ group: true, graceMs: 5_000 })));
  await logging?.close();
  root?.cleanup();
});

test('a host killed in the middle of a step costs one retry on the other host, not the run', async () => {
  const running = orchestrator as RunningOrchestrator;
  const runId = await running.executor.startRun('thread-hosts', 'block: the host dies', {
    multitaskStrategy: 'reject',
  });
  // The first act sleeps: the host running it is the one to lose.
  const busy = await eventually(
    'a host to run the first act',
    () => hosts.find((host) => stepsOf(host.journal, runId).includes('act')),
    { timeoutMs: 30_000 },
  );
  process.kill(-(busy.process.child.pid as number), 'SIGKILL');

  const run = await running.executor.waitFor(runId);
  expect({ status: run.status, error: run.error }).toEqual({ status: 'success', error: null });
  const other = hosts.find((host) => host !== busy) as (typeof hosts)[number];
  // The lost host got as far as the act it died in; the retry of that act, and everything after
  // it, ran on the other host.
  expect(stepsOf(busy.journal, runId).at(-1)).toBe('act');
  const all = [...stepsOf(busy.journal, runId), ...stepsOf(other.journal, runId)];
  expect(all.filter((step) => step === 'act')).toHaveLength(3);
  expect(stepsOf(other.journal, runId).slice(-4)).toEqual(['tools', 'act', 'review', 'finalize']);
}, 120_000);
