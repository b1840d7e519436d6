import type { Client } from '@langchain/langgraph-sdk';
import { useTestApi, type TestApi } from './api-helpers.js';
import { callsOf, stepsOf } from './helpers.js';

// Approval and breakpoints through the official SDK, unchanged: a run under approval "always"
// pauses before each tools step with the proposed calls; an answer resumes it on a new run.

let fixtureDir: string;
let api: TestApi;
let client: Client;

useTestApi('atolye-api-approval-', (started) => {
  ({ api, client, fixtureDir } = started);
});

const always = { configurable: { approval: 'always' } };

async function pausedThread(task: string): Promise<string> {
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, 'atolye', {
    input: { task },
    config: always,
  });
  await client.runs.join(thread.thread_id, run.run_id);
  return thread.thread_id;
}

async function lastRun(threadId: string) {
  const [run] = await client.runs.list(threadId, { limit: 1 });
  return run as NonNullable<typeof run> & { stop_reason?: string; interrupts?: unknown };
}

test('approval "always" pauses before tools with the proposed calls; approving runs them', async () => {
  const threadId = await pausedThread('approve me');
  const paused = await lastRun(threadId);
  expect(paused).toMatchObject({ status: 'interrupted', stop_reason: 'approval' });
  expect(stepsOf(fixtureDir, paused.run_id)).toEqual(['plan', 'act']);

  const state = await client.threads.getState(threadId);
  expect(state.next).toEqual(['tools']);
  expect(state.tasks[0]?.interrupts[0]?.value).toEqual({
    tool_calls: [
      {
        id: 'call-1',
        name: 'write_file',
        args: { path: 'notes.txt' },
        reason: 'every tool call waits for approval (approval "always")',
      },
    ],
    reason: expect.stringContaining('write_file waits for approval'),
  });
  expect((await client.threads.get(threadId)).status).toBe('interrupted');

  const values = (await client.runs.wait(threadId, 'atolye', {
    command: { resume: { approved: true } },
    config: always,
  })) as Record<string, unknown>;
  expect(values.status).toBe('success');
  const resumed = await lastRun(threadId);
  expect(stepsOf(fixtureDir, resumed.run_id)).toEqual(['tools', 'act', 'review', 'finalize']);
  expect(resumed.status).toBe('success');
});

test('a rejection never runs the call; the model reads the reason as its result', async () => {
  const threadId = await pausedThread('reject me');
  // The scripted review wants a changed file: with the write rejected, the run ends at its limit.
  const run = await client.runs.create(threadId, 'atolye', {
    command: { resume: { approved: false, reason: 'not in my repo' } },
  });
  await client.runs.join(threadId, run.run_id);
  const resumed = await lastRun(threadId);
  expect(stepsOf(fixtureDir, resumed.run_id)).not.toContain('tools');
  const { values } = await client.threads.getState(threadId);
  const messages = (values as { messages: { type: string; data: { content: string } }[] }).messages;
  const result = messages.find((message) => message.type === 'tool');
  expect(result?.data.content).toBe(
    'A person rejected this write_file call; it was not run. Reason: not in my repo',
  );
});

test('edited arguments run in place of the proposed ones, and the model is told', async () => {
  const threadId = await pausedThread('edit me');
  await client.runs.wait(threadId, 'atolye', {
    command: { resume: { approved: true, edits: { 'call-1': { path: 'other.txt' } } } },
  });
  const { values } = await client.threads.getState(threadId);
  const messages = (values as { messages: { type: string; data: { content: string } }[] }).messages;
  const result = messages.find((message) => message.type === 'tool');
  expect(result?.data.content).toBe(
    `A person edited this call's arguments before it ran, to {"path":"other.txt"}.\nok`,
  );
});

test('interrupt_before pauses at the named step; input null goes on from there', async () => {
  const thread = await client.threads.create();
  await client.runs.wait(thread.thread_id, 'atolye', {
    input: { task: 'breakpoint' },
    interruptBefore: ['review'],
  });
  const paused = await lastRun(thread.thread_id);
  expect(paused).toMatchObject({ status: 'interrupted', stop_reason: 'interrupt_before' });
  expect((await client.threads.getState(thread.thread_id)).next).toEqual(['review']);

  const values = (await client.runs.wait(thread.thread_id, 'atolye', { input: null })) as Record<
    string,
    unknown
  >;
  expect(values.status).toBe('success');
  expect(stepsOf(fixtureDir, (await lastRun(thread.thread_id)).run_id)).toEqual([
    'review',
    'finalize',
  ]);
});

test('interrupt_after pauses after the named step', async () => {
  const thread = await client.threads.create();
  await client.runs.wait(thread.thread_id, 'atolye', {
    input: { task: 'after plan' },
    interruptAfter: ['plan'],
  });
  expect(await lastRun(thread.thread_id)).toMatchObject({ stop_reason: 'interrupt_after' });
  expect((await client.threads.getState(thread.thread_id)).next).toEqual(['act']);
});

test('a variant picks the model and the budget of its runs', async () => {
  const variant = await client.assistants.create({
    graphId: 'atolye',
    name: 'short',
    config: { configurable: { model: 'tiny-model', max_iterations: 1 } },
  });
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, variant.assistant_id, {
    input: { task: 'one turn only' },
  });
  await client.runs.join(thread.thread_id, run.run_id);
  const ended = (await client.runs.get(thread.thread_id, run.run_id)) as typeof run & {
    stop_reason: string;
  };
  expect(ended).toMatchObject({
    assistant_id: variant.assistant_id,
    stop_reason: 'max_iterations',
  });
  expect(callsOf(fixtureDir, run.run_id)).toEqual([
    ['plan', 'history=0'],
    ['act', 'iteration=1,model=tiny-model'],
    ['tools', 'write_file'],
    ['finalize', 'max_iterations'],
  ]);
});

describe('refusals name what is wrong', () => {
  async function post(
    threadId: string,
    body: unknown,
  ): Promise<{ status: number; error: { code: string; message: string } }> {
    const response = await fetch(`${api.url}/threads/${threadId}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': api.key },
      body: JSON.stringify({ assistant_id: 'atolye', ...(body as object) }),
    });
    return {
      status: response.status,
      ...((await response.json()) as { error: { code: string; message: string } }),
    };
  }

  test('a resume on a thread that is not paused', async () => {
    const thread = await client.threads.create();
    const answer = await post(thread.thread_id, { command: { resume: { approved: true } } });
    expect(answer.status).toBe(409);
    expect(answer.error.code).toBe('THREAD_NOT_INTERRUPTED');
  });

  test('a new task on a thread waiting for approval', async () => {
    const threadId = await pausedThread('held');
    const answer = await post(threadId, { input: { task: 'something else' } });
    expect(answer.status).toBe(409);
    expect(answer.error).toMatchObject({ code: 'THREAD_INTERRUPTED' });
    expect(answer.error.message).toMatch(/waits for approval of 1 tool call.*command\.resume/);
    const unknownEdit = await post(threadId, {
      command: { resume: { approved: true, edits: { 'call-9': {} } } },
    });
    expect(unknownEdit.status).toBe(400);
    expect(unknownEdit.error.message).toMatch(
      /edits names no held call: call-9; the held calls are call-1/,
    );
  });

  test.each([
    [
      { input: { task: 'x' }, command: { goto: 'act' } },
      /command: field "goto" not supported; the supported fields are resume/,
    ],
    [{ input: { task: 'x' }, checkpoint_during: true }, /field "checkpoint_during" not supported/],
    [
      { input: { task: 'x' }, interrupt_before: ['nowhere'] },
      /use "\*" or a list of nodes among plan, act, tools, review, finalize/,
    ],
    [
      { input: { task: 'x' }, config: { configurable: { approval: 'sometimes' } } },
      /use never, risky, always/,
    ],
    [
      { input: { task: 'x' }, config: { configurable: { temperature: 1 } } },
      /field "temperature" not supported/,
    ],
    [{ command: { resume: { approved: 'yes' } } }, /approved must be true or false/],
    [{}, /input\.task is required/],
  ])('%j', async (body, message) => {
    const thread = await client.threads.create();
    const answer = await post(thread.thread_id, body);
    expect(answer.status).toBe(400);
    expect(answer.error.message).toMatch(message);
  });
});
