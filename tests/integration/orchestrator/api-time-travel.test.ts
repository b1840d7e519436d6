import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@langchain/langgraph-sdk';
import { useTestApi, type TestApi } from './api-helpers.js';
import { stepsOf } from './helpers.js';

// History, checkpoints, state updates and forks through the official SDK — and the files: a fork
// from a checkpoint brings the workspace back to what it held then.

let fixtureDir: string;
let api: TestApi;
let client: Client;

useTestApi('atolye-api-time-travel-', (started) => {
  ({ api, client, fixtureDir } = started);
});

const workspace = (threadId: string) => path.join(api.workspaceRoot, threadId);

test('history lists checkpoints newest first; each one can be read back by id', async () => {
  const thread = await client.threads.create();
  await client.runs.wait(thread.thread_id, 'atolye', { input: { task: 'write notes' } });

  const history = await client.threads.getHistory(thread.thread_id, { limit: 100 });
  // input, start, then after plan, act, tools, act, review and finalize
  expect(history).toHaveLength(8);
  expect(history[0]?.next).toEqual([]);
  expect(history.at(-1)?.next).toEqual(['__start__']);
  expect(history.map((state) => state.metadata?.step)).toEqual([6, 5, 4, 3, 2, 1, 0, -1]);
  for (const [index, state] of history.entries()) {
    expect(state.parent_checkpoint?.checkpoint_id ?? null).toBe(
      history[index + 1]?.checkpoint.checkpoint_id ?? null,
    );
  }

  const page = await client.threads.getHistory(thread.thread_id, {
    limit: 2,
    before: { configurable: { checkpoint_id: history[1]?.checkpoint.checkpoint_id } },
  });
  expect(page.map((state) => state.checkpoint.checkpoint_id)).toEqual(
    history.slice(2, 4).map((state) => state.checkpoint.checkpoint_id),
  );

  const reviewed = history.find((state) => state.next[0] === 'review')!;
  const byId = await client.threads.getState(thread.thread_id, reviewed.checkpoint.checkpoint_id!);
  expect(byId.checkpoint).toEqual(reviewed.checkpoint);
  const byObject = await client.threads.getState(thread.thread_id, {
    thread_id: thread.thread_id,
    checkpoint_id: reviewed.checkpoint.checkpoint_id!,
    checkpoint_ns: '',
    checkpoint_map: null,
  });
  expect(byObject.values).toEqual(byId.values);

  const missing = await fetch(`${api.url}/threads/${thread.thread_id}/state/nope`, {
    headers: { 'x-api-key': api.key },
  });
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
    'CHECKPOINT_NOT_FOUND',
  );
});

test('a fork from an earlier checkpoint runs from there, with the files as they were', async () => {
  const thread = await client.threads.create();
  const files = workspace(thread.thread_id);
  await client.runs.wait(thread.thread_id, 'atolye', { input: { task: 'first' } });
  // What the agent of run 1 left, as a person would see it before run 2.
  writeFileSync(path.join(files, 'notes.txt'), 'v1\n');
  await client.runs.wait(thread.thread_id, 'atolye', { input: { task: 'second' } });
  const second = (await client.threads.getHistory(thread.thread_id, { limit: 1 }))[0]!;
  writeFileSync(path.join(files, 'notes.txt'), 'v2\n');
  writeFileSync(path.join(files, 'extra.txt'), 'later\n');
  await client.runs.wait(thread.thread_id, 'atolye', { input: { task: 'third' } });

  const fork = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'again from the second' },
    checkpointId: second.checkpoint.checkpoint_id!,
  });
  await client.runs.join(thread.thread_id, fork.run_id);
  expect((await client.runs.get(thread.thread_id, fork.run_id)).status).toBe('success');
  expect(readFileSync(path.join(files, 'notes.txt'), 'utf8')).toBe('v1\n');
  expect(existsSync(path.join(files, 'extra.txt'))).toBe(false);

  // The fork's parent is the checkpoint it started from: the third run is a branch left behind.
  const [latest] = await client.threads.getHistory(thread.thread_id, { limit: 1 });
  expect(latest?.values).toMatchObject({ task: 'again from the second', status: 'success' });
  const all = await client.threads.getHistory(thread.thread_id, { limit: 100 });
  const forkStart = all.find(
    (state) => state.parent_checkpoint?.checkpoint_id === second.checkpoint.checkpoint_id,
  );
  expect(forkStart).toBeDefined();
});

test('input null from a checkpoint paused before a step runs from that step', async () => {
  const thread = await client.threads.create();
  await client.runs.wait(thread.thread_id, 'atolye', { input: { task: 'replay me' } });
  const history = await client.threads.getHistory(thread.thread_id, { limit: 100 });
  const beforeReview = history.find((state) => state.next[0] === 'review')!;
  const run = await client.runs.create(thread.thread_id, 'atolye', {
    input: null,
    checkpointId: beforeReview.checkpoint.checkpoint_id!,
  });
  await client.runs.join(thread.thread_id, run.run_id);
  expect(stepsOf(fixtureDir, run.run_id)).toEqual(['review', 'finalize']);
});

test('a state update as a node becomes a checkpoint the next run goes on from', async () => {
  const thread = await client.threads.create();
  await client.runs.wait(thread.thread_id, 'atolye', {
    input: { task: 'pause me' },
    interruptBefore: ['review'],
  });
  // The server answers {checkpoint}, as LangGraph Platform does (the SDK's type says otherwise).
  const updated = (await client.threads.updateState(thread.thread_id, {
    values: { feedback: 'check the edge cases too' },
    asNode: 'review',
  })) as unknown as { checkpoint: { checkpoint_id: string } };
  const state = await client.threads.getState(thread.thread_id);
  expect(state.checkpoint.checkpoint_id).toBe(updated.checkpoint.checkpoint_id);
  expect(state.values).toMatchObject({ feedback: 'check the edge cases too' });
  expect(state.metadata).toMatchObject({ source: 'update' });
  expect(state.next).toEqual(['act']);

  const run = await client.runs.create(thread.thread_id, 'atolye', { input: null });
  await client.runs.join(thread.thread_id, run.run_id);
  expect(stepsOf(fixtureDir, run.run_id)[0]).toBe('act');
});

describe('refusals', () => {
  async function post(route: string, body: unknown) {
    const response = await fetch(`${api.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': api.key },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      ...((await response.json()) as { error: { message: string } }),
    };
  }

  test.each([
    [{ values: { status: 'success' } }, /field "status" not supported/],
    [{ values: { feedback: 'x' }, as_node: 'nowhere' }, /name a node among/],
    [{ values: {}, checkpoint: { checkpoint_id: 'c', checkpoint_ns: 'sub' } }, /no subgraphs/],
  ])('state update %j', async (body, message) => {
    const thread = await client.threads.create();
    const answer = await post(`/threads/${thread.thread_id}/state`, body);
    expect(answer.status).toBe(400);
    expect(answer.error.message).toMatch(message);
  });

  test('history with a field it does not take', async () => {
    const thread = await client.threads.create();
    const answer = await post(`/threads/${thread.thread_id}/history`, { select: ['values'] });
    expect(answer.status).toBe(400);
    expect(answer.error.message).toMatch(/field "select" not supported/);
  });

  test('a fork from a checkpoint that is about to run tool calls, with a new task', async () => {
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, 'atolye', { input: { task: 'tools ahead' } });
    const history = await client.threads.getHistory(thread.thread_id, { limit: 100 });
    const beforeTools = history.find((state) => state.next[0] === 'tools')!;
    const answer = await post(`/threads/${thread.thread_id}/runs`, {
      assistant_id: 'atolye',
      input: { task: 'other' },
      checkpoint_id: beforeTools.checkpoint.checkpoint_id,
    });
    expect(answer.status).toBe(400);
    expect(answer.error.message).toMatch(
      /is about to run tool calls: fork from it with input null/,
    );
  });
});
