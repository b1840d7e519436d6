import diagnostics from 'node:diagnostics_channel';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockLlm, type MockLlm } from '../../../src/cli/mock-llm/index.js';
import type { ScriptInput } from '../../../src/cli/mock-llm/index.js';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { createExecutor, type Executor } from '../../../src/orchestrator/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { build, deployOk, eventually, hostConfig } from '../deploy/helpers.js';

// End to end, nothing scripted but the model: the real step functions are built from functions/,
// deployed to an in-process worker host, and driven by the executor against the mock model server.
// review runs the plan's check (`python3 hello.py`) in the real bubblewrap sandbox.

const FUNCTIONS_DIR = fileURLToPath(new URL('../../../functions', import.meta.url));
const SCRIPT = JSON.parse(
  readFileSync(fileURLToPath(new URL('./create-files.script.json', import.meta.url)), 'utf8'),
) as ScriptInput;
const TASK = 'create hello.py that prints hello, and check it';
const THREAD = 'thread-e2e-hello';

/** Every URL this process requests (executor → host, deploy → host), via undici's channel. */
const fetched: string[] = [];
const onRequest = (message: unknown): void => {
  const { request } = message as { request: { origin: string; path: string } };
  fetched.push(`${request.origin}${request.path}`);
};

let root: ReturnType<typeof tempDir>;
let workspaceRoot: string;
let server: MockLlm;
let host: RunningHost | undefined;
let hostLogging: Logging | undefined;
let runLogging: Logging | undefined;
let executor: Executor | undefined;

beforeAll(async () => {
  diagnostics.subscribe('undici:request:create', onRequest);
  root = tempDir('atolye-e2e-agent-');
  chmodSync(root.dir, 0o755);
  workspaceRoot = path.join(root.dir, 'workspaces');
  mkdirSync(workspaceRoot, { mode: 0o755 });
  server = await startMockLlm({ port: 0, script: SCRIPT });

  const config = hostConfig(path.join(root.dir, 'host-data'), path.join(root.dir, 'host-logs'));
  hostLogging = createLogging(config, { service: 'host', release: 'test-release' });
  host = await startHost(config, {
    port: 0,
    logging: hostLogging,
    // Workers see only PATH/HOME/LANG/NODE_ENV plus the secrets their function declares.
    env: {
      ...process.env,
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: server.url,
      ATOLYE_MODEL: 'mock',
      ATOLYE_WORKSPACE_ROOT: workspaceRoot,
      ATOLYE_SANDBOX_MODE: 'bwrap',
    },
  });
  await deployOk(
    { url: host.address.url, config },
    await build(FUNCTIONS_DIR, path.join(root.dir, 'dist')),
  );

  const dataDir = path.join(root.dir, 'orchestrator-data');
  runLogging = createLogging(hostConfig(dataDir, path.join(root.dir, 'orchestrator-logs')), {
    service: 'orchestrator',
  });
  executor = createExecutor({
    config,
    hostUrl: host.address.url,
    signingSecret: config.security.signingSecret,
    dataDir,
    logging: runLogging,
    retry: { maxAttempts: 1, initialInterval: 50, jitter: false },
  });
}, 60_000);

afterAll(async () => {
  diagnostics.unsubscribe('undici:request:create', onRequest);
  await executor?.close();
  await runLogging?.close();
  await host?.close();
  await hostLogging?.close();
  await server?.close();
  root?.cleanup();
});

test('the real steps create hello.py, check it in the sandbox and finish', async () => {
  const runner = executor!;
  const runId = runner.startRun(THREAD, TASK);
  const run = await runner.waitFor(runId);

  expect(run).toMatchObject({
    runId,
    threadId: THREAD,
    task: TASK,
    status: 'success',
    stopReason: null,
    error: null,
  });
  expect(run.summary).toEqual(expect.stringContaining('Wrote hello.py.'));
  expect(run.summary).toEqual(expect.stringContaining('hello.py'));

  const file = path.join(workspaceRoot, THREAD, 'hello.py');
  expect(existsSync(file)).toBe(true);
  expect(readFileSync(file, 'utf8')).toBe("print('hello')\n");

  // plan + act + act; review's check passed, so it never asked the model.
  expect(run.usage.inputTokens).toBe(40 + 60 + 80);
  expect(run.usage.outputTokens).toBe(12 + 15 + 8);
  expect(run.usage.inputTokens).toBeGreaterThan(0);
  expect(server.requests).toHaveLength(3);
  expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual(
    Array(3).fill('POST /v1/chat/completions'),
  );

  // review ran the one check itself, sandboxed: mode "none" would have logged SANDBOX DISABLED.
  const hostLogs = path.join(root.dir, 'host-logs');
  const lines = (file: string): Record<string, unknown>[] =>
    existsSync(path.join(hostLogs, file))
      ? readFileSync(path.join(hostLogs, file), 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Record<string, unknown>)
      : [];
  await eventually(
    () => lines('agent.log').some((line) => line.msg === 'reviewed' && line.runId === runId),
    'review logged its verdict',
  );
  expect(
    lines('agent.log').find((line) => line.msg === 'reviewed' && line.runId === runId),
  ).toMatchObject({ done: true, checks: 1 });
  expect(
    lines('system.log').filter((line) => String(line.msg).includes('SANDBOX DISABLED')),
  ).toEqual([]);

  // This process only talked to the host; the workers' only model endpoint is the mock.
  const hostOrigin = new URL(host!.address.url).origin;
  expect(fetched.filter((url) => !url.startsWith(hostOrigin))).toEqual([]);
}, 30_000);
