import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import {
  capture,
  idsShown,
  signIn,
  signedIn,
  startDashboardE2E,
  type DashboardE2E,
  idsOf,
} from './dashboard-browser.js';

// The dashboard in Debian's Chromium, headless, against a real orchestrator in front of a real
// worker host running the scripted step functions; every state is drawn at 1280 and at 390 px,
// screenshot, and checked to fit. The scripted `tools` step reports notes.txt changed without
// writing it, so the test writes it into the thread's workspace before opening it. Alerts are
// evaluated when the test says (`alerting.tick()`), not on a timer.

const NOTES = 'hello from the workspace\n<b>shown as text, never as HTML</b>\n';
const TASK = 'write notes from the browser\nsecond line: <b>not bold</b>';
const NO_THREAD = '00000000-0000-4000-8000-000000000000';

let e2e: DashboardE2E;
let desktop: Page;
let phone: Page;
/** Set by the tests in order: the runs the later tests look at again. */
let done: { threadId: string; runId: string } | undefined;
let failed: { threadId: string; runId: string } | undefined;

beforeAll(async () => {
  e2e = await startDashboardE2E('atolye-dashboard-e2e-', { 'alerts.intervalMs': '0' });
  ({ desktop, phone } = e2e);
  // The alerts' first sample: the window the later ones are measured against.
  await e2e.api.orchestrator.alerting.tick();
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
});

// No page drawn without a fault fetched anything that failed (no 401 favicon, no 404), logged an
// error or threw; a test that causes a refusal on purpose takes it first.
afterEach(() => {
  expect(e2e.takeProblems()).toEqual([]);
});

async function submitTask(task: string): Promise<{ threadId: string; runId: string }> {
  await desktop.click('nav >> text=New task');
  await desktop.fill('#task', task);
  await desktop.click('button[type=submit]');
  await desktop.waitForURL(/#\/run\//);
  return idsOf(desktop.url());
}

/** Opens `hash` in a tab and waits for `ready`. */
async function open(page: Page, hash: string, ready: string): Promise<void> {
  await page.goto(`${e2e.api.url}/${hash}`);
  await page.waitForSelector(ready);
}

/** Every id the tab shows is whole, on one line, with the whole id in its title. */
async function expectWholeIds(page: Page): Promise<void> {
  const ids = await idsShown(page);
  expect(ids.length).toBeGreaterThan(0);
  for (const id of ids) {
    expect(id).toEqual({ text: id.text, title: id.title, oneLine: true, whole: true });
    expect(id.title.startsWith(id.text)).toBe(true);
  }
}

test("a wrong key is refused with the API's message; the right one opens the runs list", async () => {
  await signIn(desktop, e2e.api.url, 'not-a-key');
  await expect(desktop.textContent('[role=alert]')).resolves.toContain(
    'the API key is unknown or revoked',
  );
  expect(await desktop.evaluate(() => sessionStorage.length)).toBe(0);
  // The refusal is the one failed request: the page's icon is inline, so no /favicon.ico 401.
  const refused = e2e.takeProblems();
  expect(refused.filter((line) => !line.startsWith('console:'))).toEqual([
    `401 ${e2e.api.url}/dashboard/api/me`,
  ]);

  await signedIn(desktop, e2e.api.url, e2e.api.key);
  await expect(desktop.textContent('main')).resolves.toContain('No runs yet.');
  // The phone signs in with the admin key: it sees the user's runs and the system page.
  await signedIn(phone, e2e.api.url, e2e.api.adminKey);
  const icon = await desktop.$eval('link[rel=icon]', (link) => (link as HTMLLinkElement).href);
  expect(icon).toMatch(/^data:image\/svg\+xml;base64,/);
});

test('a task runs live to success: plan, timeline, model turns, and its summary line by line', async () => {
  done = await submitTask(TASK);
  await desktop.waitForSelector('#run-header [data-status="success"]', { timeout: 30_000 });
  await expect(desktop.textContent('#plan')).resolves.toContain('write notes.txt');
  const turns = (await desktop.textContent('#turns')) ?? '';
  expect(turns).toContain('Model turns (2)');
  expect(turns).toContain('calls write_file');
  expect(turns).toContain('Tool output — write_file');
  // After the end the timeline holds the logged steps, each with its duration.
  await desktop.waitForSelector('#timeline[data-from="log"] li');
  const steps = await desktop.$$eval('#timeline li .step', (items) =>
    items.map((item) => item.textContent),
  );
  expect(steps.slice(0, 3)).toEqual(['plan', 'act', 'tools']);
  expect(steps.at(-1)).toBe('finalize');
  await expect(desktop.textContent('#timeline li .took')).resolves.toMatch(/\d+(\.\d)? m?s/);
  await expect(desktop.textContent('#changed-files')).resolves.toContain('notes.txt');

  for (const page of [desktop, phone]) {
    await open(page, `#/run/${done.threadId}/${done.runId}`, '#diff #no-changes');
    // The summary's line break shows; its markup is text.
    await expect(page.innerText('#run-header .summary')).resolves.toBe(
      `success: ${TASK} (notes.txt)`,
    );
    expect(await page.$$('#run-header .summary b')).toHaveLength(0);
    await expectWholeIds(page);
    await capture(page, 'run-success');
  }
  await desktop.click('nav >> text=Runs');
  await desktop.waitForSelector(`tr[data-run-id="${done.runId}"] [data-status="success"]`);
});

test('a file the run changed opens as text, and the archive downloads', async () => {
  if (!done) throw new Error('needs the run of the previous test');
  const workspace = path.join(e2e.api.workspaceRoot, done.threadId);
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, 'notes.txt'), NOTES);
  await open(desktop, `#/run/${done.threadId}/${done.runId}`, '#changed-files a');
  await desktop.click('#changed-files >> text=notes.txt');
  await desktop.waitForSelector('#file-content');
  expect(await desktop.textContent('#file-content')).toBe(NOTES);
  expect(await desktop.$$('#file-content b')).toHaveLength(0);
  await expect(desktop.textContent('#file-tree')).resolves.toContain('notes.txt');
  await open(phone, `#/files/${done.threadId}/notes.txt`, '#file-content');
  for (const page of [desktop, phone]) {
    await expectWholeIds(page);
    await capture(page, 'files');
  }

  const [download] = await Promise.all([
    desktop.waitForEvent('download'),
    desktop.click('#download-archive'),
  ]);
  expect(download.suggestedFilename()).toBe(`${done.threadId}.tar.gz`);
});

test('a run that fails says which step failed and how, and what it had when it ended', async () => {
  failed = await submitTask('plan-fails on purpose');
  await desktop.waitForSelector('#run-header [data-status="error"]', { timeout: 30_000 });
  for (const page of [desktop, phone]) {
    await open(page, `#/run/${failed.threadId}/${failed.runId}`, '#plan [data-empty="ended"]');
    // In the CLI's words, without the step repeated or LangGraph's node names.
    await expect(page.textContent('#run-header [role=alert]')).resolves.toBe(
      'Plan failed: PLAN_REFUSED: the planner refuses this task (scripted)',
    );
    await expect(page.textContent('#plan p')).resolves.toBe(
      'The run ended before it had a plan. The error above says why.',
    );
    await expect(page.textContent('#changed-files p')).resolves.toBe('The run changed no files.');
    await expect(page.textContent('#turns p')).resolves.toBe(
      'The run ended before the model was asked.',
    );
    await page.waitForSelector('#timeline[data-from="log"] li');
    const timeline = await page.$$eval('#timeline li', (items) =>
      items.map((item) => [
        item.getAttribute('data-step'),
        item.querySelector('.note')?.textContent,
      ]),
    );
    expect(timeline).toEqual([['plan', 'failed (PLAN_REFUSED)']]);
    const text = (await page.textContent('main')) ?? '';
    expect(text).not.toMatch(/yet\b|__error_handler__|step plan failed|function plan failed/);
    await capture(page, 'run-error');
  }
});

test('the runs list keeps when each run started on a phone, and leaves the cost to the run', async () => {
  if (!done || !failed) throw new Error('needs the runs of earlier tests');
  const columns = (page: Page) =>
    page.$$eval('table.runs th', (cells) =>
      cells
        .filter((cell) => getComputedStyle(cell).display !== 'none')
        .map((cell) => cell.textContent),
    );
  for (const page of [desktop, phone]) {
    await open(page, '#/runs', `tr[data-run-id="${failed.runId}"] [data-status="error"]`);
    await capture(page, 'runs');
  }
  expect(await columns(desktop)).toEqual(['Status', 'Task', 'Thread', 'Started', 'Cost']);
  expect(await columns(phone)).toEqual(['Status', 'Task', 'Started']);
  await expect(phone.textContent(`tr[data-run-id="${done.runId}"] td.started`)).resolves.toMatch(
    /\d/,
  );
  await expectWholeIds(desktop);
});

test('a thread or run that does not exist is said so in words, with nothing offered for it', async () => {
  if (!done) throw new Error('needs the run of an earlier test');
  for (const page of [desktop, phone]) {
    await open(page, `#/files/${NO_THREAD}`, 'main [role=alert]');
    await expect(page.textContent('main [role=alert]')).resolves.toBe(
      'No such thread: there is no such thread, or it is not one this key may see. The Runs page lists your threads; New task starts one.',
    );
    expect(await page.$$('#download-archive, #file-tree, #file-viewer')).toHaveLength(0);
    await capture(page, 'thread-missing');

    await open(page, `#/run/${done.threadId}/no-such-run`, 'main [role=alert]');
    await expect(page.textContent('main [role=alert]')).resolves.toBe(
      'Cannot open this run: there is no such run on this thread, or it is not one this key may see. The Runs page lists the runs you can open.',
    );
    expect(await page.$$('#plan, #timeline, #diff')).toHaveLength(0);
    expect(await page.textContent('main')).not.toMatch(/(GET|POST) \//);
    await capture(page, 'run-missing');
  }
  // The two 404s of each tab, and nothing else.
  const refused = e2e.takeProblems().filter((line) => !line.startsWith('console:'));
  expect(refused.sort()).toEqual(
    [
      `404 ${e2e.api.url}/threads/${NO_THREAD}/files`,
      `404 ${e2e.api.url}/threads/${done.threadId}/runs/no-such-run`,
    ]
      .flatMap((line) => [line, line])
      .sort(),
  );
});

test('a user key has no system page; its logs are its own threads', async () => {
  if (!done) throw new Error('needs the run of an earlier test');
  await expect(desktop.textContent('nav')).resolves.not.toContain('System');
  await open(desktop, '#/system', 'main [role=alert]');
  await expect(desktop.textContent('main [role=alert]')).resolves.toContain('admin keys only');
  // The page's two reads, refused together (in either order).
  const refused = e2e.takeProblems().filter((line) => !line.startsWith('console:'));
  expect(refused.sort()).toEqual([
    `403 ${e2e.api.url}/dashboard/api/alerts`,
    `403 ${e2e.api.url}/dashboard/api/system`,
  ]);
  await open(desktop, `#/logs?channel=agent&run=${done.runId}`, '#log-lines table');
  await expect(desktop.textContent('#log-scope')).resolves.toContain('your own threads');
  await expect(desktop.textContent('#log-lines')).resolves.toContain('run ended: success');
});

test('the system page: numbers at once, charts once there are samples, alerts with their window', async () => {
  await desktop.click('nav >> text=Sign out');
  await signedIn(desktop, e2e.api.url, e2e.api.adminKey);
  await expect(desktop.textContent('#signed-in-as')).resolves.toContain('admin');
  // The failed plan puts the invocation error ratio over 1 % in the window that began at start.
  await e2e.api.orchestrator.alerting.tick();
  for (const page of [desktop, phone]) {
    await open(page, '#/system', '#alerts li[data-alert="AtolyeInvocationErrorRatioHigh"]');
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('Orchestrator');
    expect(text).toContain(`Worker host ${e2e.stepHost.url}`);
    expect(text).toContain('host:reachable');
    await expect(page.textContent('#workers')).resolves.toContain('plan');

    // One sample: the numbers, and a chart that says it is collecting rather than a flat line.
    const value = async (metric: string) =>
      Number(await page.textContent(`figure[data-metric="${metric}"] .value`));
    const invocations = await value('invocations');
    const errors = await value('errors');
    expect(invocations).toBeGreaterThanOrEqual(7);
    expect(errors).toBe(1);
    await expect(page.textContent('figure[data-metric="errors"] .collecting')).resolves.toBe(
      'Collecting: 1 of 3 samples for a chart',
    );
    expect(await page.$$('figure.chart svg')).toHaveLength(0);
    // The alert names its one window, and its counts agree with the charts' (no call since).
    const alert = (await page.textContent('[data-alert="AtolyeInvocationErrorRatioHigh"]')) ?? '';
    expect(alert).toContain('of function invocations failed in 5 min');
    expect(alert).toContain(`${errors} of ${invocations} failed in the 5 min up to `);
    await capture(page, 'system');

    // Two more samples, five seconds apart on the page's clock: now a chart.
    for (const samples of [2, 3]) {
      await page.clock.fastForward(5_000);
      await page.waitForSelector(`figure[data-metric="invocations"][data-samples="${samples}"]`);
    }
    const points = await page.$eval('figure[data-metric="invocations"] polyline', (line) =>
      line.getAttribute('points'),
    );
    expect(points?.split(' ')).toHaveLength(3);
    expect(await page.$$('figure.chart .collecting')).toHaveLength(0);
    await expect(page.textContent('figure[data-metric="invocations"] .span')).resolves.toBe(
      'last 10 s, no change',
    );
    await capture(page, 'system-charts');
  }
});

test('the logs page wraps long lines in its own box and keeps ids whole', async () => {
  if (!done) throw new Error('needs the run of an earlier test');
  for (const page of [desktop, phone]) {
    await open(page, `#/logs?channel=agent&run=${done.runId}`, '#log-lines table');
    const text = (await page.textContent('#log-lines')) ?? '';
    expect(text).toContain('run ended: success');
    expect(text).not.toContain('run ended: error');
    await expectWholeIds(page);
    await capture(page, 'logs');
    // The system channel's lines name the firing alerts in long unbroken words.
    await open(page, '#/logs?channel=system', '#log-lines table');
    await expect(page.textContent('#log-lines')).resolves.toContain(
      'alert firing: AtolyeInvocationErrorRatioHigh',
    );
    await capture(page, 'logs-system');
  }
  // By now every page has been drawn at least once.
  expect(e2e.offsite).toEqual([]);
});
