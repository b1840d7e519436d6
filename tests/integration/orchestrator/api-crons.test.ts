import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, type Run } from '@langchain/langgraph-sdk';
import { createLogging } from '../../../src/logging/index.js';
import { startOrchestrator } from '../../../src/orchestrator/service.js';
import type { tempDir } from '../../helpers/tmp.js';
import { startTestApi, useTestApi, type TestApi } from './api-helpers.js';
import { type StepHost } from './helpers.js';
import { eventually } from '../../helpers/eventually.js';

// Crons through the official SDK's `client.crons`, against the real orchestrator in front of a
// real worker host with scripted steps. Schedules have seconds ("*/1 * * * * *"), so a test waits
// a second or two for a firing, never a minute; every wait is for an outcome, not a duration.

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
let client: Client;

useTestApi('atolye-api-crons-', (started) => {
  ({ api, client, stepHost, root } = started);
});

type CronRun = Run & { metadata: { cron_id?: string } };

/** The runs a cron started, oldest first, as the key of `sdk` sees them. */
async function runsOf(sdk: Client, cronId: string): Promise<CronRun[]> {
  const threads = await sdk.threads.search({ limit: 1000 });
  const runs = await Promise.all(threads.map((thread) => sdk.runs.list(thread.thread_id)));
  return (runs.flat() as CronRun[])
    .filter((run) => run.metadata.cron_id === cronId)
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
}

async function post(route: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${api.url}${route}`, {
    method: 'POST',
    headers: { 'x-api-key': api.key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

function systemLog(logDir: string): string {
  const file = path.join(logDir, 'system.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

test('a cron without a thread starts runs on new threads of its owner; search and delete see it', async () => {
  const cron = await client.crons.create('atolye', {
    schedule: '*/1 * * * * *',
    input: { task: 'cron notes' },
    metadata: { purpose: 'nightly' },
  });
  expect(cron).toMatchObject({
    schedule: '*/1 * * * * *',
    thread_id: null,
    user_id: 'key:tests',
    metadata: { purpose: 'nightly' },
    payload: { input: { task: 'cron notes' } },
  });
  expect(Date.parse(cron.next_run_date)).not.toBeNaN();

  let runs: CronRun[] = [];
  await eventually('a run', async () => (runs = await runsOf(client, cron.cron_id)).length > 0);
  const run = runs[0] as CronRun;
  expect(run.metadata).toMatchObject({ purpose: 'nightly', cron_id: cron.cron_id });
  // The new thread is the key's own: it reads it like any thread it created.
  expect((await client.threads.get(run.thread_id)).thread_id).toBe(run.thread_id);

  const found = await client.crons.search({ metadata: { purpose: 'nightly' } });
  expect(found.map((each) => each.cron_id)).toEqual([cron.cron_id]);
  expect(await client.crons.search({ metadata: { purpose: 'weekly' } })).toEqual([]);
  expect(await client.crons.count({ threadId: run.thread_id })).toBe(0);

  // Another key sees none of it and cannot delete it; an admin key sees it.
  const other = new Client({
    apiUrl: api.url,
    apiKey: (await api.orchestrator.keys.create('other')).key,
  });
  expect(await other.crons.search()).toEqual([]);
  await expect(other.crons.delete(cron.cron_id)).rejects.toThrow(/404/);
  const admin = new Client({ apiUrl: api.url, apiKey: api.adminKey });
  expect((await admin.crons.search()).map((each) => each.cron_id)).toContain(cron.cron_id);

  await client.crons.delete(cron.cron_id);
  expect(await client.crons.search({ metadata: { purpose: 'nightly' } })).toEqual([]);
  await expect(client.crons.delete(cron.cron_id)).rejects.toThrow(/404/);
});

test('a thread cron never runs twice at once: a firing during its run is skipped and logged', async () => {
  const thread = await client.threads.create();
  // A "block" task sleeps 2.5 s in its first act: firings each second fall inside it.
  const cron = await client.crons.createForThread(thread.thread_id, 'atolye', {
    schedule: '*/1 * * * * *',
    input: { task: 'block a while' },
  });
  expect(cron).toMatchObject({ thread_id: thread.thread_id, on_run_completed: null });

  // Runs are listed newest first; the cron goes on firing while the test looks.
  let oldest: Run[] = [];
  await eventually(
    'two runs of the cron, both ended',
    async () => {
      oldest = (await client.runs.list(thread.thread_id, { limit: 100 })).slice(-2).reverse();
      return (
        oldest.length === 2 && oldest.every((run) => !['pending', 'running'].includes(run.status))
      );
    },
    { timeoutMs: 20_000 },
  );
  await client.crons.delete(cron.cron_id);
  const [first, second] = oldest as [Run, Run];
  expect([first.status, second.status]).toEqual(['success', 'success']);
  // The second run was created after the first had ended.
  expect(second.created_at >= first.updated_at).toBe(true);
  await eventually('the skipped firing in system.log', () =>
    systemLog(api.logDir).includes(`cron ${cron.cron_id} skipped this firing`),
  );
  expect(systemLog(api.logDir)).toContain(`its previous run ${first.run_id} is still`);
  const all = await client.runs.list(thread.thread_id, { limit: 100 });
  await Promise.all(all.map((run) => client.runs.join(thread.thread_id, run.run_id)));
});

test('on_run_completed "delete": the thread a firing made is removed once its run ends', async () => {
  const cron = await client.crons.create('atolye', {
    schedule: '*/1 * * * * *',
    input: { task: 'cron and forget' },
    onRunCompleted: 'delete',
  });
  expect(cron).toMatchObject({ on_run_completed: 'delete' });
  let threadId: string | undefined;
  await eventually('a thread removed after its run', () => {
    const removed = new RegExp(`cron ${cron.cron_id} removed thread (\\S+) of its run`);
    threadId = removed.exec(systemLog(api.logDir))?.[1];
    return threadId !== undefined;
  });
  await client.crons.delete(cron.cron_id);
  await expect(client.threads.get(threadId as string)).rejects.toThrow(/404/);
});

test('update changes the schedule and pauses the cron; next_run_date follows', async () => {
  const cron = await client.crons.create('atolye', {
    schedule: '0 9 * * 1-5',
    input: { task: 'weekday report' },
  });
  const paused = await client.crons.update(cron.cron_id, {
    enabled: false,
    schedule: '0 10 * * *',
  });
  expect(paused).toMatchObject({ enabled: false, schedule: '0 10 * * *', next_run_date: null });
  const resumed = await client.crons.update(cron.cron_id, { enabled: true });
  expect(new Date(resumed.next_run_date as string).getUTCHours()).toBe(10);
  expect(await client.crons.search({ enabled: false })).not.toContainEqual(
    expect.objectContaining({ cron_id: cron.cron_id }),
  );
  const selected = await client.crons.search({ select: ['cron_id', 'schedule'], limit: 1 });
  expect(selected).toEqual([{ cron_id: cron.cron_id, schedule: '0 10 * * *' }]);
  // Every cron runs the one assistant: a search for another finds none.
  expect(await client.crons.search({ assistantId: 'another' })).toEqual([]);
  const soonest = await client.crons.search({ sortBy: 'next_run_date', sortOrder: 'asc' });
  const dates = soonest.map((each) => each.next_run_date as string);
  expect(dates).toEqual([...dates].sort());
  await client.crons.delete(cron.cron_id);
});

test.each([
  [
    { schedule: '0 25 * * *' },
    /schedule: "0 25 \* \* \*" is not a cron expression .*e\.g\. "0 9 \* \* 1-5"/,
  ],
  [{ context: { user: 'me' } }, /context: per-run context is not supported.*leave it out/],
  [{ stream_mode: 'values' }, /stream_mode: a cron's runs run in the background/],
  [{ config: { recursion_limit: 5 } }, /config: field "recursion_limit" not supported/],
  [{ multitask_strategy: 'sometimes' }, /multitask_strategy: use "reject"/],
  [{ on_run_completed: 'archive' }, /on_run_completed: use "keep" \(the default\) or "delete"/],
  [{ timezone: 'Europe/Istanbul' }, /timezone: schedules are read in UTC only/],
  [{ end_time: '2020-01-01T00:00:00Z' }, /end_time 2020-01-01T00:00:00Z has passed/],
  [{ surprise: 1 }, /surprise: not a field of a cron/],
])('POST /runs/crons refuses %j with a 400 naming it', async (change, message) => {
  const body = { assistant_id: 'atolye', schedule: '0 9 * * *', input: { task: 'x' }, ...change };
  const { status, json } = await post('/runs/crons', body);
  expect(status).toBe(400);
  expect(json).toMatchObject({
    error: { code: 'INVALID_REQUEST', message: expect.stringMatching(message) },
  });
});

test('a thread cron refuses on_run_completed; an unknown thread is 404', async () => {
  const thread = await client.threads.create();
  const body = { assistant_id: 'atolye', schedule: '0 9 * * *', input: { task: 'x' } };
  const refused = await post(`/threads/${thread.thread_id}/runs/crons`, {
    ...body,
    on_run_completed: 'keep',
  });
  expect(refused.status).toBe(400);
  expect(JSON.stringify(refused.json)).toMatch(
    /on_run_completed applies only to crons without a thread/,
  );
  const missing = await post('/threads/no-such-thread/runs/crons', body);
  expect(missing).toMatchObject({ status: 404, json: { error: { code: 'THREAD_NOT_FOUND' } } });

  const cron = await client.crons.createForThread(thread.thread_id, 'atolye', {
    schedule: '0 9 * * *',
    input: { task: 'x' },
  });
  await expect(client.crons.update(cron.cron_id, { onRunCompleted: 'delete' })).rejects.toThrow(
    /400/,
  );
  expect(await client.crons.count({ threadId: thread.thread_id })).toBe(1);
  await client.crons.delete(cron.cron_id);
});

test('a cron outlives its orchestrator: a new one on the same data dir fires it', async () => {
  const restartRoot = path.join(root.dir, 'restart');
  const first = await startTestApi(restartRoot, stepHost);
  const sdk = new Client({ apiUrl: first.url, apiKey: first.key });
  const cron = await sdk.crons.create('atolye', {
    schedule: '*/1 * * * * *',
    input: { task: 'after restart' },
  });
  await first.stop();

  const logging = createLogging(first.config, { service: 'orchestrator' });
  const second = await startOrchestrator(first.config, {
    port: 0,
    hostUrl: stepHost.url,
    logging,
  });
  try {
    const restarted = new Date().toISOString();
    const again = new Client({ apiUrl: second.url, apiKey: first.key });
    expect((await again.crons.search()).map((each) => each.cron_id)).toEqual([cron.cron_id]);
    await eventually('a run started by the new orchestrator', async () =>
      (await runsOf(again, cron.cron_id)).some((run) => run.created_at >= restarted),
    );
    await again.crons.delete(cron.cron_id);
  } finally {
    await second.close();
    await logging.close();
  }
});
