import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { packageExtension } from '../../extensions/vscode/package-extension.js';
import { startMockLlm, type MockLlm } from '../../src/cli/mock-llm/index.js';
import { startHost, type RunningHost } from '../../src/deploy/local/host.js';
import { createLogging, type Logging } from '../../src/logging/index.js';
import { startOrchestrator, type RunningOrchestrator } from '../../src/orchestrator/service.js';
import { eventually, giveUp } from '../helpers/eventually.js';
import { freePort } from '../helpers/free-port.js';
import { startProcess, type WatchedProcess } from '../helpers/processes.js';
import { tempDir, writeFiles } from '../helpers/tmp.js';
import { build, deployOk, hostConfig } from '../integration/deploy/helpers.js';
import { scriptNamed } from '../integration/e2e-agent/harness.js';

// The extension in a real VS Code: code-server 4.100.3 (VS Code 1.100.3) in Debian's Chromium,
// driven by playwright-core. The built .vsix is installed with `code-server --install-extension`,
// a Python project with a failing test is opened, and the test runs `Atölye: Run Task on
// Workspace` from the command palette against a deployed product — the real step functions in
// the bubblewrap sandbox, with the real ChatOpenAI against the scripted model that fixes calc.py —
// opens the diff, runs `Atölye: Apply All Changes`, and checks the file on disk and the tests.
// code-server is installed by .ci/install-code-server (`npm run test:vscode` runs this test), with
// a launcher that runs it on the Node 20 it was built for: here `node` is the project's Node 24.

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CODE_SERVER = process.env.ATOLYE_CODE_SERVER ?? '/opt/atolye-code-server/bin/code-server';
const SCREENSHOTS = path.join(REPO, 'test-results/screenshots');
const TASK = 'Fix add() so the tests pass';
const PROJECT = {
  'calc.py': 'def add(a, b):\n    return a - b\n',
  'test_calc.py':
    'import unittest\n\nfrom calc import add\n\n\nclass AddTest(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n\nif __name__ == "__main__":\n    unittest.main()\n',
  '.gitignore': 'secrets.txt\n',
  'secrets.txt': 'DB_PASSWORD=hunter2\n',
  'README.md': '# calc\n',
};
const exec = promisify(execFile);
/** Each model reply takes this long, as a real model's would: the run stays visible while it goes. */
const MODEL_MS = 2_500;

let root: ReturnType<typeof tempDir>;
let model: MockLlm;
let slowModel: Server;
let host: RunningHost;
let hostLogging: Logging;
let orchestrator: RunningOrchestrator;
let orchestratorLogging: Logging;
let codeServer: WatchedProcess | undefined;
let browser: Browser;
let page: Page;
let project: string;
let workspaceRoot: string;
let apiKey: string;

beforeAll(async () => {
  if (!existsSync(CODE_SERVER)) {
    throw new Error(
      `code-server is not installed at ${CODE_SERVER}: run .ci/install-code-server with Node 20 (or set ATOLYE_CODE_SERVER to a code-server 4.100 that runs on Node 20)`,
    );
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  root = tempDir('atolye-vscode-e2e-');
  chmodSync(root.dir, 0o755);

  // The product, deployed: the real functions, the scripted model, an orchestrator and a key.
  workspaceRoot = path.join(root.dir, 'workspaces');
  mkdirSync(workspaceRoot, { mode: 0o755 });
  model = await startMockLlm({ port: 0, script: scriptNamed('fix-add') });
  slowModel = await slowProxy(new URL(model.url), MODEL_MS);
  const config = hostConfig(path.join(root.dir, 'data'), path.join(root.dir, 'logs'), {
    'workspace.root': workspaceRoot,
    'model.baseUrl': `http://127.0.0.1:${(slowModel.address() as AddressInfo).port}${new URL(model.url).pathname}`,
    'model.apiKey': 'test-key',
    'model.name': 'mock',
    'sandbox.mode': 'bwrap',
  });
  hostLogging = createLogging(config, { service: 'host' });
  host = await startHost(config, { port: 0, logging: hostLogging });
  const [built, packed] = await Promise.all([
    build(path.join(REPO, 'functions'), path.join(root.dir, 'dist')),
    packageExtension({ outDir: path.join(root.dir, 'vsix') }),
  ]);
  await deployOk({ url: host.address.url, config }, built);
  orchestratorLogging = createLogging(config, { service: 'orchestrator' });
  orchestrator = await startOrchestrator(config, {
    port: 0,
    hostUrl: host.address.url,
    logging: orchestratorLogging,
  });
  const { key } = await orchestrator.keys.create('vscode-e2e');
  apiKey = key;

  // The user's project and their VS Code: the .vsix installed as a user would, the key in the
  // environment VS Code was started with, the API's URL in the user settings.
  project = path.join(root.dir, 'calc');
  writeFiles(project, PROJECT);
  const userData = path.join(root.dir, 'code-user');
  const extensions = path.join(root.dir, 'code-extensions');
  writeFiles(userData, {
    'User/settings.json': {
      'atolye.apiUrl': orchestrator.url,
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'chat.commandCenter.enabled': false,
      'workbench.colorTheme': 'Default Light Modern',
    },
  });
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: path.join(root.dir, 'home'),
    XDG_CONFIG_HOME: path.join(root.dir, 'home/.config'),
    XDG_DATA_HOME: path.join(root.dir, 'home/.local/share'),
    ATOLYE_API_KEY: key,
  };
  const dirs = ['--user-data-dir', userData, '--extensions-dir', extensions];
  const installed = await exec(CODE_SERVER, [...dirs, '--install-extension', packed.vsix], {
    env,
  });
  expect(installed.stdout).toContain(
    `Extension '${path.basename(packed.vsix)}' was successfully installed`,
  );

  const port = await freePort();
  codeServer = startProcess(
    CODE_SERVER,
    [
      ...dirs,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      project,
    ],
    { env, detached: true },
  );
  const running = codeServer;
  await eventually(
    'code-server to answer /healthz',
    async () => {
      if (running.child.exitCode !== null) giveUp(`it exited:\n${running.output()}`);
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(project)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  // The explorer shows the folder once the workbench has connected to the server, and the
  // activity bar shows Atölye's view once the extension's contributions are known.
  await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
  await page.locator('.activitybar .action-item [aria-label^="Atölye"]').first().waitFor({
    timeout: 60_000,
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  // code-server runs VS Code's server and extension host as its children: end the group.
  await codeServer?.stop({ group: true });
  await orchestrator?.close();
  await orchestratorLogging?.close();
  await host?.close();
  await hostLogging?.close();
  await new Promise((resolve) => slowModel?.close(resolve));
  await model?.close();
  root?.cleanup();
});

/** A loopback proxy to the mock model that holds each request `ms` before passing it on. */
async function slowProxy(target: URL, ms: number): Promise<Server> {
  const server = createServer((req, res) => {
    setTimeout(() => {
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }, ms);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Runs a command from the palette (F1) by its title, as a person types it. */
async function runCommand(title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.pressSequentially(title);
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: title })
    .first()
    .waitFor({ state: 'visible', timeout: 20_000 });
  await page.keyboard.press('Enter');
}

function toast(text: string | RegExp) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text });
}

function userTestsPass(): boolean {
  try {
    execFileSync('python3', ['-B', '-m', 'unittest', 'test_calc'], { cwd: project, stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  // The page as the test left it: where a failed step stopped, the first thing to look at.
  await page
    ?.screenshot({ path: path.join(SCREENSHOTS, 'vscode-last.png') })
    .catch(() => undefined);
});

test('a task runs from the command palette, its diff opens, and Apply All fixes the file on disk', async () => {
  expect(userTestsPass()).toBe(false);
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } });
  await runCommand('Atölye: Run Task on Workspace');
  const input = page.locator('.quick-input-widget input');
  await page
    .locator('.quick-input-widget', { hasText: 'is uploaded into a new thread' })
    .waitFor({ state: 'visible' });
  await input.fill(TASK);
  await page.keyboard.press('Enter');

  // While it runs: a notification and the status-bar item with the step, and the step lines in
  // the output channel, which the status-bar item opens.
  // The progress notification names the last finished step; `tools` is done in a tenth of a
  // second, the model steps take MODEL_MS, so any step name will do, not one in particular.
  await toast(/Atölye: \w+ done/).waitFor({ state: 'visible', timeout: 60_000 });
  await page
    .locator('.statusbar-item', { hasText: /Atölye: \w+ done/ })
    .first()
    .click();
  // Any tool-call line: which one is on screen depends on how far the run got by now (the
  // output channel follows its end, and Monaco renders only the lines in view).
  await page
    .locator('.part.panel .view-line', { hasText: /→\s(search|read_file|edit_file|run_command)\s/ })
    .first()
    .waitFor({ timeout: 30_000 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'vscode-run-progress.png') });

  const done = toast('the run succeeded, 1 changed file to review');
  await done.waitFor({ state: 'visible', timeout: 120_000 });
  await expect(
    page.locator('.statusbar-item', { hasText: 'Atölye: 1 change' }).first().isVisible(),
  ).resolves.toBe(true);

  // The diff: the file on disk on the left, the agent's version on the right.
  await done.locator('.monaco-button', { hasText: 'Review' }).click();
  const diff = page.locator('.monaco-diff-editor');
  await diff.waitFor({ state: 'visible', timeout: 30_000 });
  // Monaco renders a line's spaces as non-breaking ones.
  await diff
    .locator('.editor.original .view-line', { hasText: /return\sa\s-\sb/ })
    .waitFor({ timeout: 30_000 });
  await diff.locator('.editor.modified .view-line', { hasText: /return\sa\s\+\sb/ }).waitFor();
  await page.locator('.tab', { hasText: 'calc.py (yours ↔ Atölye)' }).waitFor();
  await page.locator('.pane-body .monaco-list-row', { hasText: 'calc.py' }).first().waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'vscode-diff.png') });

  // The agent's work is in its workspace only, until the user applies it.
  expect(readFileSync(path.join(project, 'calc.py'), 'utf8')).toBe(PROJECT['calc.py']);
  await runCommand('Atölye: Apply All Changes');
  await toast('applied 1 change to calc: calc.py').waitFor({ state: 'visible', timeout: 30_000 });
  expect(readFileSync(path.join(project, 'calc.py'), 'utf8')).toBe(
    'def add(a, b):\n    return a + b\n',
  );
  expect(userTestsPass()).toBe(true);
  expect(readFileSync(path.join(project, 'secrets.txt'), 'utf8')).toBe(PROJECT['secrets.txt']);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'vscode-applied.png') });

  // Only the task's own folder went to the API: the ignored file stayed home.
  const threads = (await (
    await fetch(`${orchestrator.url}/threads/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: '{}',
    })
  ).json()) as { thread_id: string }[];
  expect(threads).toHaveLength(1);
  expect(existsSync(path.join(workspaceRoot, threads[0]?.thread_id ?? '', 'secrets.txt'))).toBe(
    false,
  );
}, 240_000);
