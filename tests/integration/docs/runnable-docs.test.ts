import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildFunctions } from '../../../src/runtime/bundle/index.js';
import { runProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/tmp.js';
import { deployOk, hostConfig, startTestHost, type TestHost } from '../deploy/helpers.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';
import { startStepHost, type StepHost } from '../orchestrator/helpers.js';
import { markdownFiles, readDoc, ROOT, runnableBlocks, type RunnableBlock } from './markdown.js';

// Every block marked runnable in docs/ runs here, as a reader would run it: `sh` blocks with bash,
// `ts` blocks with node and tsx from a file inside the checkout (so imports resolve). They run
// against a real orchestrator in front of a real worker host with the scripted step functions
// (a task succeeds; one containing "block" waits in `act`, long enough to be cancelled), and
// against a second host serving the real `echo` function for the function wire examples.

const DOCS = markdownFiles('docs');
const BLOCKS = DOCS.flatMap((file) => runnableBlocks(file, readDoc(file)));
const SCRATCH = path.join(ROOT, 'node_modules', '.cache', 'atolye-docs');
const BLOCK_TIMEOUT_MS = 30_000;

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
let echoHost: TestHost;

beforeAll(async () => {
  root = tempDir('atolye-docs-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(root.dir, stepHost);
  const echoConfig = hostConfig(path.join(root.dir, 'echo-data'), path.join(root.dir, 'echo-logs'));
  echoHost = await startTestHost(echoConfig);
  const distDir = path.join(root.dir, 'echo-dist');
  const manifest = await buildFunctions({ outDir: distDir, only: ['echo'] });
  await deployOk(echoHost, { manifest, distDir });
  mkdirSync(SCRATCH, { recursive: true });
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  await echoHost?.stop();
  root?.cleanup();
});

async function call(method: string, route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${api.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${api.key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A fresh thread with one finished run and a file in its workspace, as the docs assume. */
async function threadWithRun(): Promise<{ threadId: string; runId: string }> {
  const { thread_id: threadId } = (await call('POST', '/threads', {})) as { thread_id: string };
  await call('POST', `/threads/${threadId}/runs/wait`, {
    assistant_id: 'atolye',
    input: { task: 'write notes' },
  });
  const [run] = (await call('GET', `/threads/${threadId}/runs`)) as { run_id: string }[];
  // The scripted `tools` step reports notes.txt written without writing it; the docs read it.
  const workspace = path.join(api.workspaceRoot, threadId);
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, 'notes.txt'), 'notes from the scripted run\n');
  return { threadId, runId: run?.run_id ?? '' };
}

interface Outcome {
  code: number | null;
  output: string;
}

async function execute(block: RunnableBlock, env: NodeJS.ProcessEnv): Promise<Outcome> {
  let command: string;
  let args: string[];
  if (block.lang === 'sh') {
    command = 'bash';
    args = ['-euo', 'pipefail', '-c', block.code];
  } else {
    const file = path.join(SCRATCH, `${path.basename(block.file, '.md')}-${block.line}.mts`);
    // The docs write imports of the project as a reader at the checkout's root would: './src/…'.
    writeFileSync(file, block.code.replace(/(from\s+')\.\//g, `$1${pathToFileURL(ROOT).href}`));
    command = process.execPath;
    args = ['--import', 'tsx', file];
  }
  // Shell blocks run in a scratch folder (they may write files); node resolves tsx from ROOT.
  const cwd = block.lang === 'sh' ? root.dir : ROOT;
  const { code, output } = await runProcess(command, args, {
    cwd,
    env,
    timeoutMs: BLOCK_TIMEOUT_MS,
  });
  return { code, output };
}

test('the API guides hold runnable curl and SDK examples', () => {
  const count = (file: string, lang: string): number =>
    BLOCKS.filter((block) => block.file === file && block.lang === lang).length;
  expect(count('docs/api/agent_api.md', 'sh')).toBeGreaterThanOrEqual(5);
  expect(count('docs/api/agent_api.md', 'ts')).toBeGreaterThanOrEqual(2);
  expect(count('docs/api/functions_api.md', 'sh')).toBeGreaterThanOrEqual(1);
});

test.each(BLOCKS.map((block) => [`${block.file}:${block.line} (${block.lang})`, block] as const))(
  '%s runs and succeeds',
  async (_name, block) => {
    const { threadId, runId } = await threadWithRun();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ATOLYE_API_URL: api.url,
      ATOLYE_API_KEY: api.key,
      ATOLYE_ADMIN_KEY: api.adminKey,
      THREAD_ID: threadId,
      RUN_ID: runId,
      ATOLYE_HOST_URL: echoHost.url,
      ATOLYE_SIGNING_SECRET: echoHost.config.security.signingSecret,
    };
    const { code, output } = await execute(block, env);
    if (code !== 0) throw new Error(`exit ${String(code)}; output:\n${output}`);
    if (block.expect !== undefined) expect(output).toContain(block.expect);
  },
  BLOCK_TIMEOUT_MS + 10_000,
);

afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));
