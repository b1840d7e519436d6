import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@langchain/langgraph-sdk';
import Database from 'better-sqlite3';
import type { tempDir } from '../../helpers/tmp.js';
import { useTestApi, type TestApi } from './api-helpers.js';

// Thread update, delete, copy and search through the official SDK, against the real orchestrator
// in front of a real worker host running scripted steps; what is removed or copied is checked
// on disk and in the stores themselves.

let root: ReturnType<typeof tempDir>;
let api: TestApi;
let client: Client;
/** A second user: another key's threads are 404 to it. */
let otherKey: string;

useTestApi('atolye-api-threads-', async (started) => {
  ({ api, client, root } = started);
  otherKey = (await api.orchestrator.keys.create('someone-else')).key;
});

/** What the API answered: an error, or (read as such) a record or a list. */
type ApiBody = { error: { code: string; message: string } } & Record<string, unknown>;

async function call(
  method: string,
  route: string,
  body?: unknown,
  key = api.key,
): Promise<{ status: number; body: ApiBody }> {
  const response = await fetch(`${api.url}${route}`, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** Rows of the orchestrator's and LangGraph's stores that still name `threadId`. */
function rowsOf(threadId: string, runIds: string[]) {
  const orchestrator = new Database(path.join(root.dir, 'api-data', 'orchestrator.sqlite'), {
    readonly: true,
  });
  const checkpoints = new Database(path.join(root.dir, 'api-data', 'checkpoints.sqlite'), {
    readonly: true,
  });
  try {
    const count = (db: Database.Database, sql: string, ...args: string[]) =>
      (db.prepare(sql).get(...args) as { n: number }).n;
    const events = runIds.reduce(
      (sum, runId) =>
        sum + count(orchestrator, 'SELECT COUNT(*) AS n FROM run_events WHERE run_id = ?', runId),
      0,
    );
    return {
      threads: count(
        orchestrator,
        'SELECT COUNT(*) AS n FROM threads WHERE thread_id = ?',
        threadId,
      ),
      runs: count(orchestrator, 'SELECT COUNT(*) AS n FROM runs WHERE thread_id = ?', threadId),
      events,
      checkpoints: count(
        checkpoints,
        'SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = ?',
        threadId,
      ),
      writes: count(checkpoints, 'SELECT COUNT(*) AS n FROM writes WHERE thread_id = ?', threadId),
    };
  } finally {
    orchestrator.close();
    checkpoints.close();
  }
}

const workTree = (threadId: string) => path.join(api.workspaceRoot, threadId);
const gitDir = (threadId: string) => path.join(api.workspaceRoot, '.atolye-git', `${threadId}.git`);

/** A thread with one finished run: `notes.txt` was in the baseline and changed after the run. */
async function threadWithHistory(metadata: Record<string, unknown> = {}) {
  const thread = await client.threads.create({ metadata });
  mkdirSync(workTree(thread.thread_id), { recursive: true });
  writeFileSync(path.join(workTree(thread.thread_id), 'notes.txt'), 'first\n');
  const run = await client.runs.create(thread.thread_id, 'atolye', { input: { task: 'notes' } });
  await client.runs.join(thread.thread_id, run.run_id);
  writeFileSync(path.join(workTree(thread.thread_id), 'notes.txt'), 'first\nsecond\n');
  return { threadId: thread.thread_id, runId: run.run_id };
}

describe('threads.update', () => {
  test('merges the metadata given into the thread', async () => {
    const thread = await client.threads.create({ metadata: { team: 'a', stage: 'draft' } });
    const updated = await client.threads.update(thread.thread_id, {
      metadata: { stage: 'review', reviewer: 'bo' },
    });
    expect(updated.metadata).toEqual({ team: 'a', stage: 'review', reviewer: 'bo' });
    expect((await client.threads.get(thread.thread_id)).metadata).toEqual(updated.metadata);
  });

  test('with returnMinimal answers 204 and still applies the change', async () => {
    const thread = await client.threads.create();
    await expect(
      client.threads.update(thread.thread_id, { metadata: { n: 1 }, returnMinimal: true }),
    ).resolves.toBeUndefined();
    expect((await client.threads.get(thread.thread_id)).metadata).toEqual({ n: 1 });
  });

  test('refuses ttl by name, and another key gets 404', async () => {
    const thread = await client.threads.create();
    const refused = await call('PATCH', `/threads/${thread.thread_id}`, { ttl: { ttl: 5 } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_REQUEST');
    expect(refused.body.error.message).toMatch(/"ttl" not supported.*metadata/);
    const foreign = await call('PATCH', `/threads/${thread.thread_id}`, { metadata: {} }, otherKey);
    expect(foreign.status).toBe(404);
  });
});

describe('threads.delete', () => {
  test('removes the thread, its runs and events, its checkpoints and its workspace', async () => {
    const { threadId, runId } = await threadWithHistory();
    expect(rowsOf(threadId, [runId])).toMatchObject({ threads: 1, runs: 1 });
    expect(rowsOf(threadId, [runId]).checkpoints).toBeGreaterThan(0);
    expect(existsSync(gitDir(threadId))).toBe(true);

    await expect(client.threads.delete(threadId)).resolves.toBeUndefined();
    expect(rowsOf(threadId, [runId])).toEqual({
      threads: 0,
      runs: 0,
      events: 0,
      checkpoints: 0,
      writes: 0,
    });
    expect(existsSync(workTree(threadId))).toBe(false);
    expect(existsSync(gitDir(threadId))).toBe(false);
    expect((await call('GET', `/threads/${threadId}`)).status).toBe(404);
    expect((await call('GET', `/threads/${threadId}/runs/${runId}`)).status).toBe(404);

    // The id is free again, and a new thread under it starts with no state.
    await client.threads.create({ threadId });
    expect((await client.threads.getState(threadId)).values).toEqual({});
  });

  test('is refused with 409 THREAD_BUSY while a run is pending or running', async () => {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, 'atolye', {
      input: { task: 'slow block' },
    });
    const refused = await call('DELETE', `/threads/${thread.thread_id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('THREAD_BUSY');
    expect(refused.body.error.message).toContain(run.run_id);
    await client.runs.cancel(thread.thread_id, run.run_id, true);
    await client.threads.delete(thread.thread_id);
    expect((await call('GET', `/threads/${thread.thread_id}`)).status).toBe(404);
  });

  test("is 404 for an unknown thread and for another key's, which stays", async () => {
    expect((await call('DELETE', '/threads/no-such-thread')).status).toBe(404);
    const thread = await client.threads.create();
    const foreign = await call('DELETE', `/threads/${thread.thread_id}`, undefined, otherKey);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('THREAD_NOT_FOUND');
    expect((await client.threads.get(thread.thread_id)).thread_id).toBe(thread.thread_id);
  });
});

describe('threads.copy', () => {
  test('gives a new thread the metadata, checkpoints and workspace; the runs stay', async () => {
    const { threadId, runId } = await threadWithHistory({ project: 'copy-me' });
    const copy = await client.threads.copy(threadId);
    expect(copy.thread_id).not.toBe(threadId);
    expect(copy.metadata).toEqual({ project: 'copy-me' });
    expect(copy.status).toBe('idle');

    // The whole checkpoint history, under the same checkpoint ids.
    const source = rowsOf(threadId, [runId]);
    const copied = rowsOf(copy.thread_id, []);
    expect(copied.checkpoints).toBe(source.checkpoints);
    expect(copied.writes).toBe(source.writes);
    expect(copied.runs).toBe(0);
    const [from, to] = await Promise.all([
      client.threads.getState(threadId),
      client.threads.getState(copy.thread_id),
    ]);
    expect(to.values).toEqual(from.values);
    expect(to.values).toMatchObject({ task: 'notes', status: 'success' });
    expect(to.checkpoint.checkpoint_id).toBe(from.checkpoint.checkpoint_id);
    expect(to.metadata).toMatchObject({ thread_id: copy.thread_id });
    expect(await client.runs.list(copy.thread_id)).toEqual([]);

    // The files and their baseline: the copy's diff is the source's.
    expect(readFileSync(path.join(workTree(copy.thread_id), 'notes.txt'), 'utf8')).toBe(
      'first\nsecond\n',
    );
    const diffOf = async (id: string) =>
      (await fetch(`${api.url}/threads/${id}/diff`, { headers: { 'x-api-key': api.key } })).text();
    const diff = await diffOf(copy.thread_id);
    expect(diff).toContain('+second');
    expect(diff).toBe(await diffOf(threadId));

    // The two go their own ways from here.
    writeFileSync(path.join(workTree(copy.thread_id), 'notes.txt'), 'changed in the copy\n');
    expect(readFileSync(path.join(workTree(threadId), 'notes.txt'), 'utf8')).toBe(
      'first\nsecond\n',
    );
    const followUp = (await client.runs.wait(copy.thread_id, 'atolye', {
      input: { task: 'follow up on the copy' },
    })) as { task: string; messages: unknown[] };
    expect(followUp.task).toBe('follow up on the copy');
    expect(followUp.messages.length).toBeGreaterThan(
      (from.values as { messages: [] }).messages.length,
    );
    expect((await client.threads.getState(threadId)).values).toEqual(from.values);
  });

  test("belongs to the caller; another key's thread is 404; a busy one is 409", async () => {
    const thread = await client.threads.create();
    const copy = await client.threads.copy(thread.thread_id);
    expect((await call('GET', `/threads/${copy.thread_id}`, undefined, otherKey)).status).toBe(404);
    expect(
      (await call('POST', `/threads/${thread.thread_id}/copy`, undefined, otherKey)).status,
    ).toBe(404);

    const run = await client.runs.create(thread.thread_id, 'atolye', {
      input: { task: 'slow block' },
    });
    const busy = await call('POST', `/threads/${thread.thread_id}/copy`);
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('THREAD_BUSY');
    await client.runs.cancel(thread.thread_id, run.run_id, true);
  });
});

describe('threads.search', () => {
  test('filters by metadata, ids and status, sorts and pages', async () => {
    const tag = `search-${Date.now()}`;
    const a = await client.threads.create({ metadata: { tag, kind: 'x', nested: { k: [1] } } });
    const b = await client.threads.create({ metadata: { tag, kind: 'y' } });
    const c = await client.threads.create({ metadata: { tag, kind: 'x' } });
    await expect(
      client.runs.wait(c.thread_id, 'atolye', { input: { task: 'plan-fails here' } }),
    ).rejects.toThrow(/PLAN_REFUSED/);
    const ids = (threads: { thread_id: string }[]) => threads.map((thread) => thread.thread_id);

    expect(ids(await client.threads.search({ metadata: { tag } }))).toEqual([
      c.thread_id,
      b.thread_id,
      a.thread_id,
    ]);
    expect(ids(await client.threads.search({ metadata: { tag, kind: 'x' } }))).toEqual([
      c.thread_id,
      a.thread_id,
    ]);
    expect(ids(await client.threads.search({ metadata: { nested: { k: [1] } } }))).toEqual([
      a.thread_id,
    ]);
    expect(ids(await client.threads.search({ metadata: { tag }, status: 'error' }))).toEqual([
      c.thread_id,
    ]);
    expect(
      ids(await client.threads.search({ metadata: { tag }, status: 'idle', sortOrder: 'asc' })),
    ).toEqual([a.thread_id, b.thread_id]);
    expect(
      ids(await client.threads.search({ ids: [a.thread_id, b.thread_id, 'not-a-thread'] })),
    ).toEqual([b.thread_id, a.thread_id]);
    const byId = [a, b, c].map((thread) => thread.thread_id).sort();
    expect(
      ids(
        await client.threads.search({
          metadata: { tag },
          sortBy: 'thread_id',
          sortOrder: 'asc',
          limit: 2,
          offset: 1,
        }),
      ),
    ).toEqual(byId.slice(1, 3));
    const byStatus = await client.threads.search({
      metadata: { tag },
      sortBy: 'status',
      sortOrder: 'asc',
    });
    expect(byStatus.map((thread) => thread.status)).toEqual(['error', 'idle', 'idle']);

    // Another key's threads never match.
    const foreign = await call('POST', '/threads/search', { metadata: { tag } }, otherKey);
    expect(foreign.body).toEqual([]);
    // No body at all: the first page of everything.
    const bare = await fetch(`${api.url}/threads/search`, {
      method: 'POST',
      headers: { 'x-api-key': api.key },
    });
    expect(bare.status).toBe(200);
    expect(((await bare.json()) as unknown[]).length).toBeGreaterThan(0);
  });

  test('a field it does not support is a 400 naming it and listing the supported ones', async () => {
    const refused = await call('POST', '/threads/search', { values: { status: 'success' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_REQUEST');
    expect(refused.body.error.message).toMatch(
      /field "values" not supported; the supported fields are metadata, ids, status, limit, offset, sort_by, sort_order/,
    );
    await expect(client.threads.search({ select: ['thread_id'] })).rejects.toThrow(/400/);
    const badStatus = await call('POST', '/threads/search', { status: 'done' });
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.message).toContain('status');
  });
});

describe('threads.create strictness', () => {
  test.each([
    ['ttl', { ttl: { ttl: 60, strategy: 'delete' } }],
    ['supersteps', { supersteps: [{ updates: [{ values: {}, as_node: 'plan' }] }] }],
  ])('%s is a 400 that names it', async (field, body) => {
    const refused = await call('POST', '/threads', body);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_REQUEST');
    expect(refused.body.error.message).toContain(`"${field}" not supported`);
    expect(refused.body.error.message).toContain('thread_id, metadata, if_exists');
  });

  test('what the SDK sends by default is accepted, graph_id among the metadata', async () => {
    const thread = await client.threads.create({ graphId: 'atolye', ifExists: 'raise' });
    expect(thread.metadata).toEqual({ graph_id: 'atolye' });
  });
});

// Found by `npm run fuzz`: on Postgres a stored `\u0000` made every metadata search of the table fail.
test('metadata holding a NUL character is refused (400) wherever metadata is taken', async () => {
  const cases: [string, string, unknown][] = [
    ['POST', '/threads', { metadata: { note: 'a\u0000b' } }],
    ['POST', '/threads', { metadata: { 'key\u0000': 1 } }],
    ['POST', '/threads/search', { metadata: { deep: { list: ['\u0000'] } } }],
    ['POST', '/assistants', { graph_id: 'atolye', metadata: { note: '\u0000' } }],
  ];
  for (const [method, route, body] of cases) {
    const answer = await call(method, route, body);
    expect([route, answer.status, answer.body.error.code]).toEqual([route, 400, 'INVALID_REQUEST']);
    expect(answer.body.error.message).toMatch(/metadata: holds a NUL character/);
  }
});
