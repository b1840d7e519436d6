import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@langchain/langgraph-sdk';
import { threadWorkspace } from '../../../src/agent/steps/workspace.js';
import { isThreadId, THREAD_ID_RULE } from '../../../src/workspace/thread-id.js';
import { useTestApi, type TestApi } from './api-helpers.js';

// One thread id rule for the run API and the steps: an id the API accepts is one the `tools`
// step takes, and an id it would refuse is a 400 at the door that says the allowed form, on every
// route that names a thread, never a thread that fails at its first step.

let api: TestApi;
let client: Client;

useTestApi('atolye-api-thread-ids-', (started) => {
  ({ api, client } = started);
});

async function call(method: string, route: string, body?: unknown) {
  const response = await fetch(`${api.url}${route}`, {
    method,
    headers: { 'x-api-key': api.key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as { error?: { code: string; message: string } };
  return { status: response.status, code: answer.error?.code, message: answer.error?.message };
}

/** What a refusal of a bad thread id looks like, whichever route. */
const refused = {
  status: 400,
  code: 'INVALID_REQUEST',
  message: expect.stringContaining(THREAD_ID_RULE),
};

const BAD_IDS = ['a..b', '../escape', '..', '.hidden', '.atolye-git', 'a/b', 'x'.repeat(129)];

test('POST /threads refuses a thread_id that is not a thread id, and makes no folder', async () => {
  for (const id of BAD_IDS) {
    const answer = await call('POST', '/threads', { thread_id: id });
    expect([id, answer]).toEqual([id, refused]);
  }
  expect(readdirSync(api.workspaceRoot).filter((name) => name !== '.atolye-git')).toEqual([]);
});

test('the runs routes refuse a bad thread id with 400, even with if_not_exists create', async () => {
  const run = { assistant_id: 'atolye', input: { task: 'x' }, if_not_exists: 'create' };
  for (const id of ['a..b', '..%2F..%2Fetc', '.hidden']) {
    for (const route of ['runs', 'runs/wait', 'runs/stream']) {
      const answer = await call('POST', `/threads/${id}/${route}`, run);
      expect([id, route, answer]).toEqual([id, route, refused]);
    }
    const list = await call('GET', `/threads/${id}/runs`);
    expect([id, list]).toEqual([id, refused]);
  }
  expect(existsSync(path.join(api.workspaceRoot, 'a..b'))).toBe(false);
});

// Found by `npm run fuzz`: a refused run left behind the thread if_not_exists had made for it.
test('a run refused after if_not_exists made its thread leaves no thread behind', async () => {
  const refusals = [
    [{ assistant_id: 'no-such-assistant' }, 404, 'ASSISTANT_NOT_FOUND'],
    [{ assistant_id: 'atolye', checkpoint_id: 'no-such-checkpoint' }, 404, 'CHECKPOINT_NOT_FOUND'],
  ] as const;
  for (const [fields, status, code] of refusals) {
    for (const route of ['runs', 'runs/wait', 'runs/stream']) {
      const id = `fresh-${route.replace('/', '-')}-${status}-${code.length}`;
      const body = { ...fields, input: { task: 'x' }, if_not_exists: 'create' };
      const answer = await call('POST', `/threads/${id}/${route}`, body);
      expect([route, answer.status, answer.code]).toEqual([route, status, code]);
      expect([id, (await call('GET', `/threads/${id}`)).code]).toEqual([id, 'THREAD_NOT_FOUND']);
    }
  }
});

test('the files and workspace routes refuse a bad thread id with 400', async () => {
  for (const id of ['a..b', '..%2F..%2Fetc']) {
    for (const [method, route] of [
      ['GET', 'files'],
      ['GET', 'files/notes.txt'],
      ['GET', 'archive'],
      ['GET', 'diff'],
      ['GET', 'patch'],
      ['POST', 'import'],
    ] as const) {
      const answer = await call(
        method,
        `/threads/${id}/${route}`,
        method === 'POST' ? {} : undefined,
      );
      expect([id, route, answer]).toEqual([id, route, refused]);
    }
  }
});

test('the ids the API makes fit the rule, and the steps take them', async () => {
  const thread = await client.threads.create();
  const copy = await client.threads.copy(thread.thread_id);
  for (const id of [thread.thread_id, copy.thread_id]) {
    expect([id, isThreadId(id)]).toEqual([id, true]);
    await expect(threadWorkspace(api.workspaceRoot, id)).resolves.toBe(
      path.join(api.workspaceRoot, id),
    );
  }
  const files = await call('GET', `/threads/${thread.thread_id}/files`);
  expect(files.status).toBe(200);
});
