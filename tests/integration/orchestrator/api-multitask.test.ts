import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@langchain/langgraph-sdk';
import { useTestApi, type TestApi } from './api-helpers.js';
import { stepsOf } from './helpers.js';

// multitask_strategy "interrupt" and "rollback" through the SDK: a new run replaces the active
// one; with rollback the replaced run is gone and the thread (files included) is back to where it
// started. A task containing "block" waits in its first act long enough to be replaced.

let fixtureDir: string;
let api: TestApi;
let client: Client;

useTestApi('atolye-api-multitask-', (started) => {
  ({ api, client, fixtureDir } = started);
});

async function running(threadId: string, runId: string): Promise<void> {
  while ((await client.runs.get(threadId, runId)).status !== 'running') {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('"interrupt" stops the active run and runs the new one after it', async () => {
  const thread = await client.threads.create();
  const first = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'block a' },
  });
  await running(thread.thread_id, first.run_id);
  const second = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'instead' },
    multitaskStrategy: 'interrupt',
  });
  await client.runs.join(thread.thread_id, second.run_id);
  expect(await client.runs.get(thread.thread_id, first.run_id)).toMatchObject({
    status: 'interrupted',
  });
  expect(await client.runs.get(thread.thread_id, second.run_id)).toMatchObject({
    status: 'success',
    multitask_strategy: 'interrupt',
  });
  expect(stepsOf(fixtureDir, second.run_id)[0]).toBe('plan');
});

test('"rollback" deletes the active run and starts where it started, files included', async () => {
  const thread = await client.threads.create();
  const files = path.join(api.workspaceRoot, thread.thread_id);
  const kept = await client.runs.create(thread.thread_id, 'atolye', { input: { task: 'keep' } });
  await client.runs.join(thread.thread_id, kept.run_id);
  writeFileSync(path.join(files, 'kept.txt'), 'from the first run\n');
  const { values: before } = await client.threads.getState(thread.thread_id);

  const doomed = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'block b' },
  });
  await running(thread.thread_id, doomed.run_id);
  writeFileSync(path.join(files, 'doomed.txt'), 'written while the replaced run ran\n');
  const replacement = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'do it right' },
    multitaskStrategy: 'rollback',
  });
  await client.runs.join(thread.thread_id, replacement.run_id);

  const runs = await client.runs.list(thread.thread_id);
  expect(runs.map((run) => run.run_id)).toEqual([replacement.run_id, kept.run_id]);
  expect(existsSync(path.join(files, 'doomed.txt'))).toBe(false);
  expect(existsSync(path.join(files, 'kept.txt'))).toBe(true);
  const { values } = await client.threads.getState(thread.thread_id);
  const tasks = (values as { messages: { type: string; data: { content: string } }[] }).messages
    .filter((message) => message.type === 'human')
    .map((message) => message.data.content);
  expect(tasks.some((content) => content.includes('block b'))).toBe(false);
  expect((values as { task: string }).task).toBe('do it right');
  expect((before as { task: string }).task).toBe('keep');
});

test('"rollback" of the first run of a thread leaves no state of it', async () => {
  const thread = await client.threads.create();
  const doomed = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'block c' },
  });
  await running(thread.thread_id, doomed.run_id);
  const replacement = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'fresh start' },
    multitaskStrategy: 'rollback',
  });
  await client.runs.join(thread.thread_id, replacement.run_id);
  expect((await client.runs.list(thread.thread_id)).map((run) => run.run_id)).toEqual([
    replacement.run_id,
  ]);
  const history = await client.threads.getHistory(thread.thread_id, { limit: 100 });
  expect(history.every((state) => (state.values as { task: string }).task !== 'block c')).toBe(
    true,
  );
});

test('runs.delete removes an ended run; an active one is refused', async () => {
  const thread = await client.threads.create();
  const active = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'block d' },
  });
  await expect(client.runs.delete(thread.thread_id, active.run_id)).rejects.toThrow(
    /RUN_ACTIVE|409/,
  );
  await client.runs.join(thread.thread_id, active.run_id);
  await client.runs.delete(thread.thread_id, active.run_id);
  expect(await client.runs.list(thread.thread_id)).toEqual([]);
  await expect(client.runs.get(thread.thread_id, active.run_id)).rejects.toThrow(/404/);
});

test('query fields are checked as body fields are: an unknown one is a 400 naming it', async () => {
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, 'atolye', { input: { task: 'quick' } });
  // The SDK sends cancel_on_disconnect=0 on every re-attach: it is taken.
  const events = [];
  for await (const part of client.runs.joinStream(thread.thread_id, run.run_id)) events.push(part);
  expect(events.at(-1)?.event).not.toBe('error');

  const get = async (query: string) => {
    const response = await fetch(
      `${api.url}/threads/${thread.thread_id}/runs${query.startsWith('?') ? '' : '/'}${query}`,
      { headers: { 'x-api-key': api.key } },
    );
    return {
      status: response.status,
      body: (await response.json()) as { error: { message: string } },
    };
  };
  const list = await get('?limit=5&sort=asc');
  expect(list.status).toBe(400);
  expect(list.body.error.message).toMatch(/field "sort" not supported/);
  const stream = await get(`${run.run_id}/stream?cancel_on_disconnect=1`);
  expect(stream.status).toBe(400);
  expect(stream.body.error.message).toMatch(/a run never stops because its client left/);
});
