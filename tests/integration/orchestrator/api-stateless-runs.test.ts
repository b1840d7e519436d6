import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@langchain/langgraph-sdk';
import { useTestApi, type TestApi } from './api-helpers.js';

// Runs without a thread (`client.runs.create(null, …)`, `wait`, `stream`) through the official
// SDK: each gets a temporary thread that is removed once the run has ended and been answered,
// unless on_completion is "keep".

let api: TestApi;
let client: Client;

useTestApi('atolye-api-stateless-', (started) => {
  ({ api, client } = started);
});

async function status(route: string): Promise<number> {
  const response = await fetch(`${api.url}${route}`, { headers: { 'x-api-key': api.key } });
  await response.body?.cancel();
  return response.status;
}

/** Waits (boundedly) for the temporary thread to be gone: it is removed after the answer. */
async function removed(threadId: string): Promise<boolean> {
  for (let i = 0; i < 100; i += 1) {
    const gitDir = path.join(api.workspaceRoot, '.atolye-git', `${threadId}.git`);
    if ((await status(`/threads/${threadId}`)) === 404 && !existsSync(gitDir)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function threadCount(): Promise<number> {
  return (await client.threads.search({ limit: 1000 })).length;
}

test('runs.wait(null, …) answers with the values, then removes the thread', async () => {
  let created: { run_id: string; thread_id?: string } | undefined;
  const values = (await client.runs.wait(null, 'atolye', {
    input: { task: 'stateless wait' },
    onRunCreated: (meta) => (created = meta),
  })) as Record<string, unknown>;
  expect(values).toMatchObject({ task: 'stateless wait', status: 'success' });
  expect(created?.thread_id).toEqual(expect.any(String));
  expect(await removed(created?.thread_id as string)).toBe(true);
});

test('runs.create(null, …) runs in the background on a thread removed when it ends', async () => {
  const run = await client.runs.create(null, 'atolye', { input: { task: 'stateless background' } });
  expect(run).toMatchObject({
    status: 'pending',
    kwargs: { input: { task: 'stateless background' } },
  });
  expect(await removed(run.thread_id)).toBe(true);
  expect(await status(`/threads/${run.thread_id}/runs/${run.run_id}`)).toBe(404);
});

test('on_completion "keep" leaves the thread as any thread of the caller', async () => {
  const run = await client.runs.create(null, 'atolye', {
    input: { task: 'stateless kept' },
    // LangGraph Platform's values are delete and keep; the SDK's type names others.
    onCompletion: 'keep' as never,
  });
  const values = (await client.runs.join(run.thread_id, run.run_id)) as Record<string, unknown>;
  expect(values).toMatchObject({ status: 'success', task: 'stateless kept' });
  expect((await client.runs.get(run.thread_id, run.run_id)).status).toBe('success');
  const found = await client.threads.search({ ids: [run.thread_id] });
  expect(found.map((thread) => thread.thread_id)).toEqual([run.thread_id]);
});

test('runs.stream(null, …) streams every event to the end, then removes the thread', async () => {
  let threadId: string | undefined;
  const events: string[] = [];
  for await (const part of client.runs.stream(null, 'atolye', {
    input: { task: 'stateless stream' },
    streamMode: ['updates'],
    onRunCreated: (meta) => (threadId = meta.thread_id),
  })) {
    events.push(part.event);
  }
  expect(events[0]).toBe('metadata');
  expect(events.filter((event) => event === 'updates')).toHaveLength(6);
  expect(threadId).toEqual(expect.any(String));
  expect(await removed(threadId as string)).toBe(true);
});

test('runs.stream(null, …) with on_completion "keep" leaves the thread', async () => {
  let threadId: string | undefined;
  // The SDK's types leave onCompletion out of a stateless stream's payload; it sends it all the same.
  const payload = {
    input: { task: 'stateless stream kept' },
    onCompletion: 'keep',
    onRunCreated: (meta: { thread_id?: string }) => (threadId = meta.thread_id),
  };
  for await (const part of client.runs.stream(null, 'atolye', payload as never)) {
    if ((part as { event: string }).event === 'end') break;
  }
  const state = await client.threads.getState(threadId as string);
  expect(state.values).toMatchObject({ task: 'stateless stream kept', status: 'success' });
});

test('a run that is refused leaves no thread behind; on_completion is checked', async () => {
  const before = await threadCount();
  const refused = await fetch(`${api.url}/runs`, {
    method: 'POST',
    headers: { 'x-api-key': api.key, 'content-type': 'application/json' },
    // The default webhook policy refuses loopback addresses.
    body: JSON.stringify({
      assistant_id: 'atolye',
      input: { task: 'never runs' },
      webhook: 'http://127.0.0.1:9/hook',
    }),
  });
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
    'WEBHOOK_REFUSED',
  );
  const badMode = await fetch(`${api.url}/runs/stream`, {
    method: 'POST',
    headers: { 'x-api-key': api.key, 'content-type': 'application/json' },
    body: JSON.stringify({ assistant_id: 'atolye', input: { task: 'x' }, stream_mode: 'nonsense' }),
  });
  expect(badMode.status).toBe(400);
  expect(await threadCount()).toBe(before);

  const badCompletion = await fetch(`${api.url}/runs/wait`, {
    method: 'POST',
    headers: { 'x-api-key': api.key, 'content-type': 'application/json' },
    body: JSON.stringify({ assistant_id: 'atolye', input: { task: 'x' }, on_completion: 'later' }),
  });
  expect(badCompletion.status).toBe(400);
  const problem = ((await badCompletion.json()) as { error: { message: string } }).error.message;
  expect(problem).toContain('on_completion');
});
