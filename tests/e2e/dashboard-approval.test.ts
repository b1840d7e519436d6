import { Client } from '@langchain/langgraph-sdk';
import type { Page } from 'playwright-core';
import { callsOf, stepsOf } from '../integration/orchestrator/helpers.js';
import {
  capture,
  signedIn,
  startDashboardE2E,
  type DashboardE2E,
  idsOf,
} from './dashboard-browser.js';

// Human approval in the dashboard, in Debian's Chromium against a real orchestrator (approval
// "risky" configured) in front of the scripted step functions. A run under approval "always"
// pauses before its write_file; the run page shows the held call and answers it with a new run on
// the thread, which it then follows. The fixtures' journal says which steps ran in which run: a
// call approved reaches the tools step, a call rejected never does. A "long-write" task's
// write_file carries 120 lines of content.

const LONG_CONTENT = Array.from({ length: 120 }, (_, index) => `line ${index + 1}`).join('\n');

let e2e: DashboardE2E;
let desktop: Page;
let phone: Page;
let client: Client;

beforeAll(async () => {
  e2e = await startDashboardE2E('atolye-dashboard-approval-e2e-', { 'agent.approval': 'risky' });
  ({ desktop, phone } = e2e);
  client = new Client({ apiUrl: e2e.api.url, apiKey: e2e.api.key });
  await signedIn(desktop, e2e.api.url, e2e.api.key);
  await signedIn(phone, e2e.api.url, e2e.api.key);
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
});

// A test that causes a refusal on purpose takes it first; nothing else may fail.
afterEach(() => {
  expect(e2e.takeProblems()).toEqual([]);
});

/** Opens `hash` in a tab (drawn afresh, even where the tab is already) and waits for `ready`. */
async function open(page: Page, hash: string, ready: string): Promise<void> {
  const url = `${e2e.api.url}/${hash}`;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
  await page.waitForSelector(ready, { timeout: 30_000 });
}

/** A run started through the API and followed to its pause (or end). */
async function pausedRun(
  task: string,
  options: { config?: object; interruptBefore?: string[] },
): Promise<{ threadId: string; runId: string }> {
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task },
    ...options,
  });
  await client.runs.join(thread.thread_id, run.run_id);
  return { threadId: thread.thread_id, runId: run.run_id };
}

/** Clicks `button` and waits for the page to follow the run the answer started. */
async function answer(page: Page, button: string, from: string): Promise<string> {
  await page.click(button);
  await page.waitForURL((url) => /#\/run\//.test(url.hash) && !url.hash.endsWith(from));
  return idsOf(page.url()).runId;
}

async function toolMessages(threadId: string): Promise<string[]> {
  const { values } = await client.threads.getState(threadId);
  const messages = (values as { messages: { type: string; data: { content: string } }[] }).messages;
  return messages.filter((message) => message.type === 'tool').map((m) => m.data.content);
}

test('the form offers the server\'s approval or stricter; "always" holds the write, shown with its content', async () => {
  await desktop.click('nav >> text=New task');
  // The choices are there once the note about them is.
  await desktop.waitForSelector('#approval-note:not(:empty)');
  const offered = await desktop.$$eval('#approval option', (options) =>
    options.map((option) => [
      (option as HTMLOptionElement).value,
      (option as HTMLOptionElement).selected,
    ]),
  );
  // The server holds risky calls: "never" would be refused, so it is not offered.
  expect(offered).toEqual([
    ['risky', true],
    ['always', false],
  ]);
  await expect(desktop.textContent('#approval-note')).resolves.toContain(
    'This server\'s setting is "risky"; a run may ask for more approval, not less.',
  );
  await desktop.fill('#task', 'long-write notes, approved in the browser');
  await desktop.selectOption('#approval', 'always');
  await capture(desktop, 'new-task-approval');
  await desktop.click('button[type=submit]');
  await desktop.waitForURL(/#\/run\//);
  const held = idsOf(desktop.url());

  // The page follows the run to its pause, then shows what it holds.
  await desktop.waitForSelector('#pause .held-call', { timeout: 30_000 });
  await expect(desktop.textContent('#pause h2')).resolves.toBe(
    'Waiting for your approval: 1 tool call',
  );
  await expect(desktop.textContent('#run-header .badge')).resolves.toBe('paused');
  const call = '#pause .held-call[data-tool="write_file"]';
  await expect(desktop.textContent(`${call} .tool`)).resolves.toBe('write_file');
  await expect(desktop.textContent(`${call} .held-path`)).resolves.toBe('notes.txt');
  await expect(desktop.textContent(`${call} .why`)).resolves.toBe(
    'Why it waits: every tool call waits for approval (approval "always")',
  );
  // The content is folded; opened, it shows its first 40 lines and says where the rest is.
  const content = `${call} .held-text[data-arg="content"]`;
  await expect(desktop.textContent(`${content} summary`)).resolves.toBe(
    `content — 120 lines, ${LONG_CONTENT.length.toLocaleString('en')} characters`,
  );
  expect(await desktop.isVisible(`${content} pre`)).toBe(false);
  await desktop.click(`${content} summary`);
  await expect(desktop.textContent(`${content} pre`)).resolves.toBe(
    LONG_CONTENT.split('\n').slice(0, 40).join('\n'),
  );
  await expect(desktop.textContent(`${content} .cut`)).resolves.toContain(
    'Cut: the first 40 of 120 lines shown.',
  );
  // The run's state up to the pause: its plan, and the model's turn proposing the call.
  await expect(desktop.textContent('#plan')).resolves.toContain('write notes.txt');
  await expect(desktop.textContent('#turns h2')).resolves.toBe('Model turns (1)');
  await expect(desktop.textContent('#turns')).resolves.toContain('calls write_file');
  // Nothing ran yet: the run stopped before its tools step.
  expect(stepsOf(e2e.fixtureDir, held.runId)).toEqual(['plan', 'act']);
  await capture(desktop, 'approval-pending');

  // The runs list says the thread waits, on a phone too.
  await open(phone, '#/runs', `#waiting li[data-run-id="${held.runId}"]`);
  await expect(phone.textContent('#waiting')).resolves.toContain(
    'long-write notes, approved in the browser — 1 tool call to approve or reject',
  );
  await expect(phone.textContent(`tr[data-run-id="${held.runId}"] .badge`)).resolves.toBe(
    'waits for approval',
  );
  await capture(phone, 'runs-waiting');
  await open(desktop, '#/runs', `#waiting li[data-run-id="${held.runId}"]`);
  await capture(desktop, 'runs-waiting');

  // The phone opens the pause too, and keeps it open while the desktop answers.
  await phone.click(`#waiting li[data-run-id="${held.runId}"] a`);
  await phone.waitForSelector('#pause #approve');
  await phone.click(`${content} summary`);
  await capture(phone, 'approval-pending');

  await open(desktop, `#/run/${held.threadId}/${held.runId}`, '#pause #approve');
  const resumed = await answer(desktop, '#approve', held.runId);
  await desktop.waitForSelector('#run-header [data-status="success"]', { timeout: 30_000 });
  expect(callsOf(e2e.fixtureDir, resumed)).toContainEqual(['tools', 'write_file']);
  expect(stepsOf(e2e.fixtureDir, resumed)[0]).toBe('tools');

  // The phone's answer comes second: refused, said in words, and the pause names who went on.
  await phone.click('#approve');
  await phone.waitForSelector('#pause [role=alert]');
  await expect(phone.textContent('#pause [role=alert]')).resolves.toBe(
    "The approval was not sent: this thread no longer waits for an answer: someone else answered it already, or the wait for approval timed out. The thread's newer run shows what happened.",
  );
  await expect(phone.getAttribute('#answered-by a', 'title')).resolves.toBe(resumed);
  expect(await phone.$$('#pause #approve')).toHaveLength(0);
  expect(await phone.textContent('main')).not.toMatch(/409|THREAD_NOT_INTERRUPTED|POST \//);
  await phone.evaluate(() => window.scrollTo(0, 0));
  await capture(phone, 'approval-answered-elsewhere');
  const refused = e2e.takeProblems().filter((line) => !line.startsWith('console:'));
  expect(refused).toEqual([`409 ${e2e.api.url}/threads/${held.threadId}/runs`]);
});

test('Reject asks why; the call never runs and the agent reads the reason', async () => {
  const held = await pausedRun('reject in the browser', {
    config: { configurable: { approval: 'always' } },
  });
  const reason = 'not in my repo, <b>thanks</b>';
  for (const page of [phone, desktop]) {
    await open(page, `#/run/${held.threadId}/${held.runId}`, '#pause #reject');
    await page.click('#reject');
    await page.waitForSelector('#reject-reason');
    expect(await page.isVisible('#approve')).toBe(false);
    await page.fill('#reject-reason', reason);
    await capture(page, 'approval-reject');
  }
  const resumed = await answer(desktop, '#reject-confirm', held.runId);
  // The scripted review wants a changed file: with the write rejected, the run ends at its limit.
  await desktop.waitForSelector('#run-header [data-status="error"]', { timeout: 30_000 });
  await expect(desktop.textContent('#run-header [role=alert]')).resolves.toContain(
    'MAX_ITERATIONS',
  );
  expect(stepsOf(e2e.fixtureDir, resumed)).not.toContain('tools');
  const rejected = `A person rejected this write_file call; it was not run. Reason: ${reason}`;
  expect(await toolMessages(held.threadId)).toEqual([rejected]);
  // The run page shows the tool's answer as the model read it, as text.
  await expect(desktop.textContent('#turns .message.tool pre')).resolves.toBe(rejected);
  expect(await desktop.$$('#turns b')).toHaveLength(0);
});

test('a thread paused at a breakpoint offers Continue, which runs the rest', async () => {
  const paused = await pausedRun('breakpoint in the browser', { interruptBefore: ['review'] });
  for (const page of [desktop, phone]) {
    await open(page, `#/run/${paused.threadId}/${paused.runId}`, '#pause #continue');
    await expect(page.textContent('#pause h2')).resolves.toBe('Paused at a breakpoint');
    await expect(page.textContent('#pause p')).resolves.toContain('the next step is review');
    await expect(page.textContent('#changed-files')).resolves.toContain('notes.txt');
    await capture(page, 'breakpoint');
  }
  const resumed = await answer(desktop, '#continue', paused.runId);
  await desktop.waitForSelector('#run-header [data-status="success"]', { timeout: 30_000 });
  expect(stepsOf(e2e.fixtureDir, resumed)).toEqual(['review', 'finalize']);
  // The paused run, opened again, names the run that carried on.
  await open(desktop, `#/run/${paused.threadId}/${paused.runId}`, '#answered-by a');
  await expect(desktop.getAttribute('#answered-by a', 'title')).resolves.toBe(resumed);
  await expect(desktop.textContent('#run-header .badge')).resolves.toBe('paused');
});

test('refusals of a new task are said in words: a weaker approval, a thread that waits', async () => {
  // A form drawn before the server's policy was raised still offers "never".
  for (const page of [desktop, phone]) {
    await open(page, '#/new', '#approval-note:not(:empty)');
    await page.evaluate(() => {
      const select = document.querySelector<HTMLSelectElement>('#approval');
      select?.append(new Option('Never', 'never', true, true));
    });
    await page.fill('#task', 'ask for less');
    await page.click('button[type=submit]');
    await page.waitForSelector('main [role=alert]');
    await expect(page.textContent('main [role=alert]')).resolves.toBe(
      'The run was not started: this server holds tool calls for approval "risky" at least, and a run may ask for more approval, never less than that ("never" is less). Choose "risky" or a stricter setting under Approval.',
    );
    await capture(page, 'new-task-refused');
  }
  // Chromium logs each refused request to the console too: the requests themselves are the check.
  const refused = () => e2e.takeProblems().filter((line) => !line.startsWith('console:'));
  const weaker = refused();
  expect(weaker).toHaveLength(2);
  for (const line of weaker) expect(line).toMatch(/^400 http:\/\/.*\/threads\/[^/]+\/runs$/);

  // A follow-up on a thread that waits for approval: answer it first.
  const held = await pausedRun('held for the follow-up', {
    config: { configurable: { approval: 'always' } },
  });
  await desktop.goto(`${e2e.api.url}/#/new?thread=${held.threadId}`);
  await desktop.waitForSelector(`#thread option[value="${held.threadId}"]`, { state: 'attached' });
  await desktop.fill('#task', 'something else');
  await desktop.click('button[type=submit]');
  await desktop.waitForSelector('main [role=alert]');
  const text = (await desktop.textContent('main [role=alert]')) ?? '';
  expect(text).toBe(
    'The run was not started: this thread waits for an answer first (tool calls to approve, or a breakpoint to continue from). Open the thread\'s latest run from the Runs page to answer it, or choose "A new thread".',
  );
  expect(refused()).toEqual([`409 ${e2e.api.url}/threads/${held.threadId}/runs`]);
  expect(e2e.offsite).toEqual([]);
});
