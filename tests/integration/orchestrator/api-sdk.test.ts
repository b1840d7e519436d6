import { createServer, type IncomingMessage } from 'node:http';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@langchain/langgraph-sdk';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from './api-helpers.js';
import { startStepHost, type StepHost } from './helpers.js';

// The official LangGraph SDK, unchanged, against the real orchestrator service in front of a real
// worker host running scripted step functions.

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
let client: Client;

beforeAll(async () => {
  root = tempDir('atolye-api-sdk-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  // The webhook test's receiver listens on loopback, on a port picked later.
  api = await startTestApi(root.dir, stepHost, { 'api.webhookAllowHosts': '127.0.0.1' });
  client = new Client({ apiUrl: api.url, apiKey: api.key });
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

test('threads.create, runs.create, runs.join and runs.get follow one run to success', async () => {
  const thread = await client.threads.create({ metadata: { owner: 'sdk-test' } });
  expect(thread).toMatchObject({ status: 'idle', metadata: { owner: 'sdk-test' } });

  const run = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'write notes' },
  });
  expect(run).toMatchObject({ thread_id: thread.thread_id, status: 'pending' });

  const values = (await client.runs.join(thread.thread_id, run.run_id)) as Record<string, unknown>;
  expect(values).toMatchObject({ task: 'write notes', status: 'success' });
  expect(values.summary).toEqual(expect.stringContaining('write notes'));

  const ended = await client.runs.get(thread.thread_id, run.run_id);
  expect(ended.status).toBe('success');
  expect(await client.runs.list(thread.thread_id)).toHaveLength(1);

  const state = await client.threads.getState(thread.thread_id);
  expect(state.values).toMatchObject({ status: 'success' });
  expect(state.checkpoint.checkpoint_id).toEqual(expect.any(String));
  expect((await client.threads.get(thread.thread_id)).status).toBe('idle');
});

test('runs.wait answers with the final values; a failing run raises its error', async () => {
  const thread = await client.threads.create();
  const values = (await client.runs.wait(thread.thread_id, 'atolye', {
    input: { task: 'quick one' },
  })) as Record<string, unknown>;
  expect(values).toMatchObject({ status: 'success', task: 'quick one' });

  await expect(
    client.runs.wait(thread.thread_id, 'atolye', { input: { task: 'plan-fails here' } }),
  ).rejects.toThrow(/PLAN_REFUSED: .*the planner refuses this task/);
  expect((await client.threads.get(thread.thread_id)).status).toBe('error');
});

test('runs.stream yields metadata first, values and updates, and ends', async () => {
  const thread = await client.threads.create();
  const events: { event: string; data: unknown }[] = [];
  for await (const part of client.runs.stream(thread.thread_id, 'atolye', {
    input: { task: 'streamed' },
    streamMode: ['values', 'updates'],
  })) {
    events.push(part);
  }
  const names = events.map((part) => part.event);
  expect(names[0]).toBe('metadata');
  expect(names).toContain('values');
  expect(names).toContain('updates');
  const updates = events.filter((part) => part.event === 'updates');
  expect(updates.map((part) => Object.keys(part.data as object)[0])).toEqual([
    'plan',
    'act',
    'tools',
    'act',
    'review',
    'finalize',
  ]);
  const last = events.filter((part) => part.event === 'values').at(-1);
  expect(last?.data).toMatchObject({ status: 'success', task: 'streamed' });
});

test('joinStream after Last-Event-ID replays exactly the events that followed it', async () => {
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, 'atolye', { input: { task: 'replay' } });
  await client.runs.join(thread.thread_id, run.run_id);

  const all: { event: string; id?: string }[] = [];
  for await (const part of client.runs.joinStream(thread.thread_id, run.run_id)) all.push(part);
  expect(all.length).toBeGreaterThan(4);
  const cut = all[2]?.id as string;
  const rest: { event: string; id?: string }[] = [];
  for await (const part of client.runs.joinStream(thread.thread_id, run.run_id, {
    lastEventId: cut,
  })) {
    rest.push(part);
  }
  expect(rest.map((part) => part.id)).toEqual(all.slice(3).map((part) => part.id));
});

test('runs.cancel interrupts a running run', async () => {
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'block until cancelled' },
  });
  await client.runs.cancel(thread.thread_id, run.run_id);
  await client.runs.join(thread.thread_id, run.run_id);
  const ended = await client.runs.get(thread.thread_id, run.run_id);
  expect(ended).toMatchObject({ status: 'interrupted', stop_reason: 'cancelled' });
});

test('a busy thread rejects a second run unless it is enqueued', async () => {
  const thread = await client.threads.create();
  const first = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'slow first' },
  });
  await expect(
    client.runs.create(thread.thread_id, 'atolye', { input: { task: 'second' } }),
  ).rejects.toThrow(/409/);
  const second = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task: 'second' },
    multitaskStrategy: 'enqueue',
  });
  await client.runs.join(thread.thread_id, second.run_id);
  const [newest, oldest] = await client.runs.list(thread.thread_id);
  expect(newest?.run_id).toBe(second.run_id);
  expect(oldest?.run_id).toBe(first.run_id);
  expect([newest?.status, oldest?.status]).toEqual(['success', 'success']);
});

test('the webhook receives the run record when the run ends', async () => {
  const received: { body: unknown; contentType?: string }[] = [];
  const receiver = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ body: JSON.parse(body), contentType: request.headers['content-type'] });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as { port: number };
  try {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, 'atolye', {
      input: { task: 'with webhook' },
      webhook: `http://127.0.0.1:${port}/hook?token=abc`,
    });
    await client.runs.join(thread.thread_id, run.run_id);
    for (let i = 0; i < 50 && received.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(received).toHaveLength(1);
    expect(received[0]?.contentType).toBe('application/json');
    expect(received[0]?.body).toMatchObject({ run_id: run.run_id, status: 'success' });
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
});

test('assistants: search finds the one assistant, get answers by graph id', async () => {
  const found = await client.assistants.search({ graphId: 'atolye' });
  expect(found.map((assistant) => assistant.graph_id)).toEqual(['atolye']);
  expect((await client.assistants.get('atolye')).graph_id).toBe('atolye');
});
