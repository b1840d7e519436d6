import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startMockLlm, type MockLlm } from '../../../src/cli/mock-llm/index.js';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { startOrchestrator, type RunningOrchestrator } from '../../../src/orchestrator/service.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { build, deployOk, hostConfig } from '../deploy/helpers.js';
import { scriptNamed } from './harness.js';

// The user's own code, as a new user meets it: a small Python project with a bug and a failing
// test, in a git repository whose .gitignore lists a secrets file and node_modules/. The real
// `atolye` executable imports it (--dir, then --repo file://), the real step functions fix it with
// the real ChatOpenAI against a scripted model and run the tests under bubblewrap, `atolye diff`
// shows the change and `atolye apply` puts it into the user's folder, where the tests now pass.

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const FUNCTIONS_DIR = path.join(REPO, 'functions');
const exec = promisify(execFile);
const gitEnv = { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@u', ...args], {
    cwd,
    env: gitEnv,
  }).toString('utf8');

const PROJECT = {
  'calc.py': 'def add(a, b):\n    return a - b\n',
  'test_calc.py':
    'import unittest\n\nfrom calc import add\n\n\nclass AddTest(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n\nif __name__ == "__main__":\n    unittest.main()\n',
  '.gitignore': 'secrets.txt\nnode_modules/\n',
  'README.md': '# calc\n',
};
const NEVER_SENT = {
  'secrets.txt': 'DB_PASSWORD=hunter2\n',
  'node_modules/left-pad/index.js': 'module.exports = 1;\n',
  '.env': 'API_KEY=local-only\n',
};

let root: ReturnType<typeof tempDir>;
let host: RunningHost;
let hostLogging: Logging;
let orchestrator: RunningOrchestrator;
let orchestratorLogging: Logging;
let model: MockLlm | undefined;
let workspaceRoot: string;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  root = tempDir('atolye-own-code-');
  chmodSync(root.dir, 0o755);
  workspaceRoot = path.join(root.dir, 'workspaces');
  mkdirSync(workspaceRoot, { mode: 0o755 });
  // One model server for the suite; each test loads its script before it runs.
  model = await startMockLlm({ port: 0, script: scriptNamed('fix-add') });
  const settings = {
    'workspace.root': workspaceRoot,
    'model.baseUrl': model.url,
    'model.apiKey': 'test-key',
    'model.name': 'mock',
    'sandbox.mode': 'bwrap',
  };
  const config = hostConfig(path.join(root.dir, 'data'), path.join(root.dir, 'logs'), settings);
  hostLogging = createLogging(config, { service: 'host' });
  host = await startHost(config, { port: 0, logging: hostLogging });
  await deployOk(
    { url: host.address.url, config },
    await build(FUNCTIONS_DIR, path.join(root.dir, 'dist')),
  );
  orchestratorLogging = createLogging(config, { service: 'orchestrator' });
  orchestrator = await startOrchestrator(config, {
    port: 0,
    hostUrl: host.address.url,
    logging: orchestratorLogging,
  });
  const { key } = await orchestrator.keys.create('own-code');
  cliEnv = {
    PATH: process.env.PATH,
    HOME: root.dir,
    ATOLYE_ENV: 'testing',
    ATOLYE_API_URL: orchestrator.url,
    ATOLYE_API_KEY: key,
    ATOLYE_LOG_DIR: path.join(root.dir, 'cli-logs'),
  };
}, 180_000);

afterAll(async () => {
  await orchestrator?.close();
  await orchestratorLogging?.close();
  await host?.close();
  await hostLogging?.close();
  await model?.close();
  root?.cleanup();
});

async function atolye(cwd: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await exec('node', [path.join(REPO, 'bin/atolye.js'), ...args], {
      cwd,
      env: cliEnv,
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The user's project: committed to a local git repository, with files that must stay home. */
function userProject(name: string): string {
  const dir = path.join(root.dir, name);
  writeFiles(dir, { ...PROJECT, ...NEVER_SENT });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'the user work');
  return dir;
}

function threadOf(stdout: string): string {
  const match = /thread ([0-9a-f-]{36})/.exec(stdout);
  if (!match?.[1]) throw new Error(`no thread id in:\n${stdout}`);
  return match[1];
}

function userTestsPass(dir: string): boolean {
  try {
    execFileSync('python3', ['-B', '-m', 'unittest', 'test_calc'], { cwd: dir, stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

async function fixAndApply(project: string, importArgs: string[]): Promise<string> {
  model?.reset();
  expect(userTestsPass(project)).toBe(false);
  const ran = await atolye(project, 'run', 'Fix add() so the tests pass', ...importArgs);
  expect(ran.stderr).not.toMatch(/error/i);
  expect(ran.code).toBe(0);
  const threadId = threadOf(ran.stdout);
  const workspace = path.join(workspaceRoot, threadId);

  // The agent read the file, edited it and ran the tests in the sandbox.
  expect(readFileSync(path.join(workspace, 'calc.py'), 'utf8')).toContain('return a + b');
  // The ignored files never left the user's machine (nor, from a folder, the dot-env file).
  const stayedHome = importArgs[0] === '--dir' ? ['secrets.txt', 'node_modules', '.env'] : [];
  for (const name of ['secrets.txt', 'node_modules', ...stayedHome]) {
    expect(existsSync(path.join(workspace, name))).toBe(false);
  }

  const diffed = await atolye(project, 'diff', threadId);
  expect(diffed.code).toBe(0);
  expect(diffed.stdout).toContain('diff --git a/calc.py b/calc.py');
  expect(diffed.stdout).toContain('-    return a - b\n+    return a + b');
  expect(diffed.stdout).not.toContain('test_calc.py');

  const applied = await atolye(project, 'apply', threadId, '--dir', project);
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain('calc.py');
  expect(userTestsPass(project)).toBe(true);
  // Nothing else changed in the user's folder: git sees only calc.py modified.
  expect(
    git(project, 'status', '--porcelain', '--ignored').split('\n').filter(Boolean).sort(),
  ).toEqual([' M calc.py', '!! node_modules/', '!! secrets.txt']);
  expect(readFileSync(path.join(project, 'secrets.txt'), 'utf8')).toBe(NEVER_SENT['secrets.txt']);
  return threadId;
}

test('a folder imported with --dir is fixed, shown as a diff and applied back', async () => {
  const project = userProject('project-dir');
  await fixAndApply(project, ['--dir', project]);
  // The model saw what it had changed in its brief after the tools step.
  const briefs = (model?.requests ?? []).map((request) => JSON.stringify(request.body));
  expect(briefs.some((body) => body.includes('calc.py | 2 +-'))).toBe(true);
  // It found the function with the search tool (ripgrep in the tools function); the agent log
  // names what was searched for.
  const agentLog = readFileSync(path.join(root.dir, 'logs', 'agent.log'), 'utf8');
  expect(agentLog).toContain('"target":"def add [*.py]"');
}, 180_000);

test('the same from a file:// git URL', async () => {
  const project = userProject('project-repo');
  await fixAndApply(project, ['--repo', `file://${project}`, '--ref', 'main']);
}, 180_000);
