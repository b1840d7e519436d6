import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../helpers/tmp.js';
import { startTestApi, type TestApi } from '../integration/orchestrator/api-helpers.js';
import { startStepHost, type StepHost } from '../integration/orchestrator/helpers.js';

// The dashboard in Debian's Chromium, headless, driven through playwright-core, against a real
// orchestrator in front of a real worker host running the scripted step functions. The scripted
// `tools` step reports notes.txt changed without writing it, so the test writes it into the
// thread's workspace before opening it in the file browser.

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const NOTES = 'hello from the workspace\n<b>shown as text, never as HTML</b>\n';

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
/** Set by the tests in order: the runs the later tests look at again. */
let done: { threadId: string; runId: string } | undefined;
let failed: { threadId: string; runId: string } | undefined;
/** Requests the desktop page made to anywhere but the orchestrator. */
const offsite: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: apt-get install chromium (the tests never download a browser)`,
    );
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  root = tempDir('atolye-dashboard-e2e-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(root.dir, stepHost);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  desktop = await browser.newContext({ viewport: DESKTOP });
  page = await desktop.newPage();
  // Any request leaving the orchestrator's origin would be a CDN or font the page must not use.
  await desktop.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => {
    offsite.push(route.request().url());
    return route.abort();
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

function idsOf(url: string): { threadId: string; runId: string } {
  const [, threadId = '', runId = ''] = /#\/run\/([^/]+)\/([^/?]+)/.exec(url) ?? [];
  return { threadId: decodeURIComponent(threadId), runId: decodeURIComponent(runId) };
}

async function signIn(target: Page, key: string): Promise<void> {
  await target.goto(api.url);
  await target.fill('#api-key', key);
  await target.click('button[type=submit]');
}

async function submitTask(
  target: Page,
  task: string,
): Promise<{ threadId: string; runId: string }> {
  await target.click('nav >> text=New task');
  await target.fill('#task', task);
  await target.click('button[type=submit]');
  await target.waitForURL(/#\/run\//);
  return idsOf(target.url());
}

test("a wrong key is refused with the API's message; the right one opens the runs list", async () => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await signIn(page, 'not-a-key');
  await expect(page.textContent('[role=alert]')).resolves.toContain(
    'the API key is unknown or revoked',
  );
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

  await signIn(page, api.key);
  await page.waitForSelector('h1:text("Runs")');
  await expect(page.textContent('main')).resolves.toContain('No runs yet.');
  expect(errors).toEqual([]);
});

test('a task runs live to success: plan, timeline, model turns and tool calls', async () => {
  done = await submitTask(page, 'write notes from the browser');
  await page.waitForSelector('#run-header [data-status="success"]', { timeout: 30_000 });
  await expect(page.textContent('#plan')).resolves.toContain('write notes.txt');
  const turns = (await page.textContent('#turns')) ?? '';
  expect(turns).toContain('Model turns (2)');
  expect(turns).toContain('calls write_file');
  expect(turns).toContain('Tool output — write_file');
  // After the end the timeline holds the logged steps, each with its duration.
  await page.waitForFunction(() => document.querySelectorAll('#timeline li').length >= 6);
  const steps = await page.$$eval('#timeline li .step', (items) =>
    items.map((item) => item.textContent),
  );
  expect(steps.slice(0, 3)).toEqual(['plan', 'act', 'tools']);
  expect(steps.at(-1)).toBe('finalize');
  await expect(page.textContent('#timeline li .took')).resolves.toMatch(/\d+(\.\d)? m?s/);
  await expect(page.textContent('#changed-files')).resolves.toContain('notes.txt');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'run-success-1280.png'), fullPage: true });

  await page.click('nav >> text=Runs');
  await page.waitForSelector(`tr[data-run-id="${done.runId}"] [data-status="success"]`);
});

test('a file the run changed opens as text, and the archive downloads', async () => {
  if (!done) throw new Error('needs the run of the previous test');
  const workspace = path.join(api.workspaceRoot, done.threadId);
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, 'notes.txt'), NOTES);
  await page.goto(`${api.url}/#/run/${done.threadId}/${done.runId}`);
  await page.click('#changed-files >> text=notes.txt');
  await page.waitForSelector('#file-content');
  expect(await page.textContent('#file-content')).toBe(NOTES);
  expect(await page.$$('#file-content b')).toHaveLength(0);
  await expect(page.textContent('#file-tree')).resolves.toContain('notes.txt');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'files-1280.png'), fullPage: true });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#download-archive'),
  ]);
  expect(download.suggestedFilename()).toBe(`${done.threadId}.tar.gz`);
});

test('a run that fails shows its error message', async () => {
  failed = await submitTask(page, 'plan-fails on purpose');
  await page.waitForSelector('#run-header [data-status="error"]', { timeout: 30_000 });
  const alert = await page.textContent('#run-header [role=alert]');
  expect(alert).toContain('the planner refuses this task (scripted)');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'run-error-1280.png'), fullPage: true });
});

test('a user key has no system page; an admin key sees both services, workers, metrics and alerts', async () => {
  // Signed in with a user key: no System link, and the page itself is refused by the API.
  await expect(page.textContent('nav')).resolves.not.toContain('System');
  await page.goto(`${api.url}/#/system`);
  await expect(page.textContent('main [role=alert]')).resolves.toContain('admin keys only');
  // Its logs page says it shows only the lines of its own threads, and shows them.
  if (!done) throw new Error('needs the run of an earlier test');
  await page.goto(`${api.url}/#/logs?channel=agent&run=${done.runId}`);
  await page.waitForSelector('#log-lines table');
  await expect(page.textContent('#log-scope')).resolves.toContain('your own threads');
  await expect(page.textContent('#log-lines')).resolves.toContain('run ended: success');

  await page.click('nav >> text=Sign out');
  await signIn(page, api.adminKey);
  await page.waitForSelector('h1:text("Runs")');
  await expect(page.textContent('#signed-in-as')).resolves.toContain('admin');
  await page.click('nav >> text=System');
  await page.waitForSelector('figure.chart[data-metric="invocations"] svg');
  const text = (await page.textContent('main')) ?? '';
  expect(text).toContain('Orchestrator');
  expect(text).toContain(`Worker host ${stepHost.url}`);
  expect(text).toContain('host:reachable');
  // The failed plan may or may not have tripped the error-ratio alert by now: either is drawn.
  await page.waitForSelector('#alerts :is(#no-alerts, ul.alerts li)');
  const invocations = Number(await page.textContent('figure[data-metric="invocations"] .value'));
  // Six steps of the successful run and the failed plan of the other.
  expect(invocations).toBeGreaterThanOrEqual(7);
  expect(Number(await page.textContent('figure[data-metric="errors"] .value'))).toBe(1);
  await expect(page.textContent('#workers')).resolves.toContain('plan');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'system-1280.png'), fullPage: true });
});

test('the logs page tails a channel, filtered by run', async () => {
  if (!done) throw new Error('needs the run of an earlier test');
  await page.goto(`${api.url}/#/logs?channel=agent&run=${done.runId}`);
  await page.waitForSelector('#log-lines table');
  const text = (await page.textContent('#log-lines')) ?? '';
  expect(text).toContain('run ended: success');
  expect(text).not.toContain('run ended: error');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'logs-1280.png'), fullPage: true });
  // By now every page has been drawn at least once.
  expect(offsite).toEqual([]);
});

test('on a phone the pages fit the screen', async () => {
  if (!done || !failed) throw new Error('needs the runs of earlier tests');
  const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  try {
    const small = await phone.newPage();
    // The admin key: it sees the user's runs and the system page.
    await signIn(small, api.adminKey);
    await small.waitForSelector(`tr[data-run-id="${failed.runId}"] [data-status="error"]`);
    const shots: [string, string, string][] = [
      ['runs', '#/runs', 'table.runs'],
      [
        'run-success',
        `#/run/${done.threadId}/${done.runId}`,
        '#run-header [data-status="success"]',
      ],
      ['run-error', `#/run/${failed.threadId}/${failed.runId}`, '#run-header [role=alert]'],
      ['files', `#/files/${done.threadId}/notes.txt`, '#file-content'],
      ['system', '#/system', 'figure.chart svg'],
    ];
    for (const [name, hash, ready] of shots) {
      await small.goto(`${api.url}/${hash}`);
      await small.waitForSelector(ready);
      const overflow = await small.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      expect({ name, overflow }).toEqual({ name, overflow: 0 });
      await small.screenshot({ path: path.join(SCREENSHOTS, `${name}-390.png`), fullPage: true });
    }
  } finally {
    await phone.close();
  }
});
