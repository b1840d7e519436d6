import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@langchain/langgraph-sdk';
import { resolveFromRoot } from '../../../src/config/index.js';
import { RunsStore, runsFile } from '../../../src/orchestrator/runs-store.js';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';
import { startStepHost, type StepHost } from '../orchestrator/helpers.js';

// Tenancy over plain HTTP and the official SDK, against a real orchestrator in front of a real
// worker host: a thread belongs to the key (or the team) that made it; any other key gets the 404
// an unknown thread gets, on every route; team members share; admin keys see everything.

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
/** Keys: alice and bob are plain users, red1 and red2 share team "red". */
const keys: Record<'alice' | 'bob' | 'red1' | 'red2', string> = {
  alice: '',
  bob: '',
  red1: '',
  red2: '',
};
/** Alice's thread with one finished run, and a file in its workspace. */
let thread: string;
let run: string;

const json = { 'content-type': 'application/json' };
const task = (text: string) => JSON.stringify({ assistant_id: 'atolye', input: { task: text } });

beforeAll(async () => {
  root = tempDir('atolye-tenancy-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(path.join(root.dir, 'main'), stepHost);
  keys.alice = (await api.orchestrator.keys.create('alice')).key;
  keys.bob = (await api.orchestrator.keys.create('bob')).key;
  keys.red1 = (await api.orchestrator.keys.create('red1', { team: 'red' })).key;
  keys.red2 = (await api.orchestrator.keys.create('red2', { team: 'red' })).key;

  thread = await newThread(keys.alice, { purpose: 'alice only' });
  const started = await call(keys.alice, `/threads/${thread}/runs`, {
    method: 'POST',
    headers: json,
    body: task('write notes for alice'),
  });
  expect(started.status).toBe(200);
  run = ((await started.json()) as { run_id: string }).run_id;
  expect((await call(keys.alice, `/threads/${thread}/runs/${run}/join`)).status).toBe(200);
  mkdirSync(path.join(api.workspaceRoot, thread), { recursive: true });
  writeFileSync(path.join(api.workspaceRoot, thread, 'notes.txt'), 'alice was here\n');
}, 90_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

function call(key: string, route: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${api.url}${route}`, {
    ...init,
    headers: { 'x-api-key': key, ...(init.headers as Record<string, string> | undefined) },
  });
}

async function newThread(key: string, metadata: Record<string, unknown> = {}): Promise<string> {
  const response = await call(key, '/threads', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ metadata }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { thread_id: string }).thread_id;
}

async function searched(key: string): Promise<string[]> {
  const response = await call(key, '/threads/search', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ limit: 1000 }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { thread_id: string }[]).map((t) => t.thread_id);
}

async function answer(response: Response): Promise<{ status: number; code: string; text: string }> {
  const text = await response.text();
  let code = '';
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
  } catch {
    // Not JSON: the status says enough.
  }
  return { status: response.status, code, text };
}

/** Every route that reads or changes a thread, for thread `t` (and run `r` of it). */
function threadRoutes(t: string, r: string): [string, string, RequestInit][] {
  const archive = { 'content-type': 'application/gzip' };
  return [
    ['get', `/threads/${t}`, {}],
    ['state', `/threads/${t}/state`, {}],
    ['runs list', `/threads/${t}/runs`, {}],
    ['run get', `/threads/${t}/runs/${r}`, {}],
    ['join', `/threads/${t}/runs/${r}/join`, {}],
    ['stream (re-attach)', `/threads/${t}/runs/${r}/stream`, {}],
    ['cancel', `/threads/${t}/runs/${r}/cancel`, { method: 'POST' }],
    [
      'run create',
      `/threads/${t}/runs`,
      { method: 'POST', headers: json, body: task('take over') },
    ],
    ['run wait', `/threads/${t}/runs/wait`, { method: 'POST', headers: json, body: task('x') }],
    ['run stream', `/threads/${t}/runs/stream`, { method: 'POST', headers: json, body: task('x') }],
    ['files', `/threads/${t}/files`, {}],
    ['file', `/threads/${t}/files/notes.txt`, {}],
    ['archive', `/threads/${t}/archive`, {}],
    ['diff', `/threads/${t}/diff`, {}],
    ['run diff', `/threads/${t}/diff?run_id=${r}`, {}],
    ['patch', `/threads/${t}/patch`, {}],
    ['import archive', `/threads/${t}/import`, { method: 'POST', headers: archive, body: 'x' }],
    [
      'import git',
      `/threads/${t}/import`,
      { method: 'POST', headers: json, body: JSON.stringify({ git: { url: 'https://x/y' } }) },
    ],
    [
      'push',
      `/threads/${t}/push`,
      { method: 'POST', headers: json, body: JSON.stringify({ branch: 'steal' }) },
    ],
  ];
}

describe("another key's thread", () => {
  test('is 404 on every route, exactly as a thread that does not exist', async () => {
    const unknown = randomUUID();
    const unknownRun = randomUUID();
    const seen: string[] = [];
    for (const [name, route, init] of threadRoutes(thread, run)) {
      const theirs = await answer(await call(keys.bob, route, init));
      const missing = await answer(
        await call(keys.bob, route.replaceAll(thread, unknown).replaceAll(run, unknownRun), init),
      );
      expect({ name, status: theirs.status, code: theirs.code }).toEqual({
        name,
        status: 404,
        code: 'THREAD_NOT_FOUND',
      });
      // Word for word the same answer, but for the id it names.
      expect(theirs.text.replaceAll(thread, 'T').replaceAll(run, 'R')).toBe(
        missing.text.replaceAll(unknown, 'T').replaceAll(unknownRun, 'R'),
      );
      seen.push(name);
    }
    expect(seen).toHaveLength(19);
  });

  test('is unchanged by all of that: one run, its metadata, its file', async () => {
    const runs = (await (await call(keys.alice, `/threads/${thread}/runs`)).json()) as unknown[];
    expect(runs).toHaveLength(1);
    const got = (await (await call(keys.alice, `/threads/${thread}`)).json()) as {
      metadata: unknown;
    };
    expect(got.metadata).toEqual({ purpose: 'alice only' });
    const file = await call(keys.alice, `/threads/${thread}/files/notes.txt`);
    expect(await file.text()).toBe('alice was here\n');
  });

  test('works for its owner on every read', async () => {
    for (const [name, route, init] of threadRoutes(thread, run)) {
      if (init.method === 'POST') continue;
      const response = await call(keys.alice, route, init);
      expect({ name, status: response.status }).toEqual({ name, status: 200 });
      await response.body?.cancel();
    }
  });

  test('POST /threads with its id: 404 for another key, 409 (or the thread) for the owner', async () => {
    for (const ifExists of [undefined, 'raise', 'do_nothing']) {
      const body = JSON.stringify({ thread_id: thread, if_exists: ifExists, metadata: { x: 1 } });
      const taken = await answer(
        await call(keys.bob, '/threads', { method: 'POST', headers: json, body }),
      );
      expect({ ifExists, status: taken.status, code: taken.code }).toEqual({
        ifExists,
        status: 404,
        code: 'THREAD_NOT_FOUND',
      });
      expect(taken.text).not.toContain('alice');
    }
    const again = await call(keys.alice, '/threads', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ thread_id: thread }),
    });
    expect((await answer(again)).code).toBe('THREAD_EXISTS');
    const reused = await call(keys.alice, '/threads', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ thread_id: thread, if_exists: 'do_nothing' }),
    });
    expect(reused.status).toBe(200);
    expect(((await reused.json()) as { metadata: unknown }).metadata).toEqual({
      purpose: 'alice only',
    });
  });

  test('if_not_exists "create" on its id does not let another key in; on a free id it makes one of its own', async () => {
    const body = JSON.stringify({
      assistant_id: 'atolye',
      input: { task: 'write notes' },
      if_not_exists: 'create',
    });
    for (const route of ['runs', 'runs/wait', 'runs/stream']) {
      const response = await call(keys.bob, `/threads/${thread}/${route}`, {
        method: 'POST',
        headers: json,
        body,
      });
      expect({ route, status: response.status }).toEqual({ route, status: 404 });
    }
    const runs = (await (await call(keys.alice, `/threads/${thread}/runs`)).json()) as unknown[];
    expect(runs).toHaveLength(1);

    const fresh = `bob-${randomUUID()}`;
    const own = await call(keys.bob, `/threads/${fresh}/runs/wait`, {
      method: 'POST',
      headers: json,
      body,
    });
    expect(own.status).toBe(200);
    expect((await call(keys.bob, `/threads/${fresh}`)).status).toBe(200);
    expect((await call(keys.alice, `/threads/${fresh}`)).status).toBe(404);
  });

  test('search lists only the threads a key may see', async () => {
    const bobs = await newThread(keys.bob);
    const mine = await searched(keys.alice);
    expect(mine).toContain(thread);
    expect(mine).not.toContain(bobs);
    const theirs = await searched(keys.bob);
    expect(theirs).toContain(bobs);
    expect(theirs).not.toContain(thread);
  });

  test('the assistants are the same for every key', async () => {
    for (const key of [keys.alice, keys.bob]) {
      const found = await call(key, '/assistants/search', {
        method: 'POST',
        headers: json,
        body: '{}',
      });
      expect(found.status).toBe(200);
      expect(await found.json()).toHaveLength(1);
      expect((await call(key, '/assistants/atolye')).status).toBe(200);
    }
  });

  test('the official SDK works for the owner and sees a 404 for anyone else', async () => {
    const alice = new Client({ apiUrl: api.url, apiKey: keys.alice });
    const bob = new Client({ apiUrl: api.url, apiKey: keys.bob });
    const created = await alice.threads.create({ metadata: { via: 'sdk' } });
    const values = (await alice.runs.wait(created.thread_id, 'atolye', {
      input: { task: 'sdk notes' },
    })) as Record<string, unknown>;
    expect(values).toMatchObject({ status: 'success' });
    expect(await alice.runs.list(created.thread_id)).toHaveLength(1);
    expect((await alice.threads.search({ limit: 100 })).map((t) => t.thread_id)).toContain(
      created.thread_id,
    );

    await expect(bob.threads.get(created.thread_id)).rejects.toThrow(/404/);
    await expect(bob.threads.getState(created.thread_id)).rejects.toThrow(/404/);
    await expect(bob.runs.list(created.thread_id)).rejects.toThrow(/404/);
    await expect(
      bob.runs.create(created.thread_id, 'atolye', { input: { task: 'x' } }),
    ).rejects.toThrow(/404/);
    expect((await bob.threads.search({ limit: 100 })).map((t) => t.thread_id)).not.toContain(
      created.thread_id,
    );
  });
});

describe('teams', () => {
  test("a team's keys share its threads; a key outside the team gets 404", async () => {
    const shared = await newThread(keys.red1, { team: 'red' });
    const ran = await call(keys.red2, `/threads/${shared}/runs/wait`, {
      method: 'POST',
      headers: json,
      body: task('write notes for the team'),
    });
    expect(ran.status).toBe(200);
    for (const key of [keys.red1, keys.red2]) {
      expect((await call(key, `/threads/${shared}`)).status).toBe(200);
      const runs = (await (await call(key, `/threads/${shared}/runs`)).json()) as unknown[];
      expect(runs).toHaveLength(1);
      expect((await call(key, `/threads/${shared}/diff`)).status).toBe(200);
      expect(await searched(key)).toContain(shared);
    }
    for (const key of [keys.alice, keys.bob]) {
      expect((await call(key, `/threads/${shared}`)).status).toBe(404);
      expect(await searched(key)).not.toContain(shared);
    }
    expect(await searched(keys.red1)).not.toContain(thread);
  });
});

describe('admin keys', () => {
  test('see every thread, the ones from before ownership included, and may act on them', async () => {
    // A thread from before ownership existed: no owner, written as an old store left it.
    const legacy = `legacy-${randomUUID()}`;
    const store = RunsStore.inFile(runsFile(resolveFromRoot(api.config.storage.dataDir)));
    await store.createThread(legacy);
    await store.close();

    const all = await searched(api.adminKey);
    expect(all).toEqual(expect.arrayContaining([thread, legacy]));
    for (const key of [keys.alice, keys.bob, keys.red1]) {
      expect(await searched(key)).not.toContain(legacy);
      expect((await call(key, `/threads/${legacy}`)).status).toBe(404);
    }
    expect((await call(api.adminKey, `/threads/${thread}`)).status).toBe(200);
    expect((await call(api.adminKey, `/threads/${thread}/runs/${run}`)).status).toBe(200);
    const file = await call(api.adminKey, `/threads/${thread}/files/notes.txt`);
    expect(await file.text()).toBe('alice was here\n');
    expect((await call(api.adminKey, `/threads/${legacy}/state`)).status).toBe(200);

    // A thread an admin key makes is its own: a plain key does not see it.
    const admins = await newThread(api.adminKey);
    expect((await call(keys.alice, `/threads/${admins}`)).status).toBe(404);
  });
});
