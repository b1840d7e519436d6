import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { eventually } from '../../helpers/eventually.js';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';
import { startStepHost, type StepHost } from '../orchestrator/helpers.js';

// The dashboard's own reads under tenancy, against a real orchestrator in front of a real worker
// host: a user key reads the log lines of its own threads only and is refused the host's pages;
// an admin key reads everything.

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
let alice: string;
let bob: string;
let red1: string;
let red2: string;
/** Each key's finished run. */
const ran: Record<string, { threadId: string; runId: string }> = {};

type Line = Record<string, unknown> & { msg: string };

beforeAll(async () => {
  root = tempDir('atolye-tenancy-dashboard-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(path.join(root.dir, 'main'), stepHost);
  alice = (await api.orchestrator.keys.create('alice')).key;
  bob = (await api.orchestrator.keys.create('bob')).key;
  red1 = (await api.orchestrator.keys.create('red1', { team: 'red' })).key;
  red2 = (await api.orchestrator.keys.create('red2', { team: 'red' })).key;
  ran.alice = await finishedRun(alice, 'write notes for alice');
  ran.bob = await finishedRun(bob, 'write notes for bob');
  // Bob probes Alice's thread: his request line names her thread, and it is not hers to read.
  expect((await get(bob, `/threads/${ran.alice.threadId}`)).status).toBe(404);
  // The team: red1 makes a thread, red2 runs on it.
  ran.red = await finishedRun(red1, 'write notes for the team', red2);
}, 90_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

function get(key: string, route: string): Promise<Response> {
  return fetch(`${api.url}${route}`, { headers: { 'x-api-key': key } });
}

async function finishedRun(
  key: string,
  task: string,
  runner = key,
): Promise<{ threadId: string; runId: string }> {
  const headers = { 'content-type': 'application/json' };
  const thread = (await (
    await fetch(`${api.url}/threads`, {
      method: 'POST',
      headers: { ...headers, 'x-api-key': key },
      body: '{}',
    })
  ).json()) as { thread_id: string };
  const created = await fetch(`${api.url}/threads/${thread.thread_id}/runs`, {
    method: 'POST',
    headers: { ...headers, 'x-api-key': runner },
    body: JSON.stringify({ assistant_id: 'atolye', input: { task } }),
  });
  expect(created.status).toBe(200);
  const run = (await created.json()) as { run_id: string };
  expect((await get(runner, `/threads/${thread.thread_id}/runs/${run.run_id}/join`)).status).toBe(
    200,
  );
  return { threadId: thread.thread_id, runId: run.run_id };
}

/** Log lines are written in batches: asks until `until` holds. */
async function lines(
  key: string,
  channel: string,
  until: (lines: Line[]) => boolean = () => true,
): Promise<Line[]> {
  return eventually(
    `the ${channel} lines this key may see`,
    async () => {
      const response = await get(key, `/dashboard/api/logs/${channel}?limit=1000`);
      expect(response.status).toBe(200);
      const answer = ((await response.json()) as { lines: Line[] }).lines;
      return until(answer) && answer;
    },
    { intervalMs: 100 },
  );
}

test('/dashboard/api/me says who the key is', async () => {
  expect(await (await get(alice, '/dashboard/api/me')).json()).toEqual({
    name: 'alice',
    team: null,
    admin: false,
  });
  expect(await (await get(red2, '/dashboard/api/me')).json()).toEqual({
    name: 'red2',
    team: 'red',
    admin: false,
  });
  expect(await (await get(api.adminKey, '/dashboard/api/me')).json()).toMatchObject({
    admin: true,
  });
});

test("the host's pages are refused to a user key (403) and served to an admin key", async () => {
  for (const route of ['/dashboard/api/system', '/dashboard/api/alerts']) {
    const refused = await get(alice, route);
    expect(refused.status).toBe(403);
    const error = ((await refused.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('ADMIN_REQUIRED');
    expect(error.message).toContain('--admin');
    expect((await get(api.adminKey, route)).status).toBe(200);
  }
});

test("a user's log tail holds only its own threads' lines, on every channel", async () => {
  const agent = await lines(alice, 'agent', (found) =>
    found.some((line) => line.msg === 'run ended: success'),
  );
  expect(agent.map((line) => line.msg)).toEqual(
    expect.arrayContaining(['run started', 'run ended: success']),
  );
  expect(new Set(agent.map((line) => line.threadId))).toEqual(new Set([ran.alice?.threadId]));

  const interactions = await lines(alice, 'user_interactions', (found) =>
    found.some((line) => line.msg === 'run success'),
  );
  expect(interactions.length).toBeGreaterThanOrEqual(3);
  for (const line of interactions) {
    expect(line.threadId).toBe(ran.alice?.threadId);
    if (line.key !== undefined) expect(line.key).toBe('alice');
  }
  for (const channel of ['system', 'errors']) {
    for (const line of await lines(alice, channel)) {
      expect(line.threadId).toBe(ran.alice?.threadId);
    }
  }
  // Asking for another key's run by id gives nothing either.
  const theirs = await get(alice, `/dashboard/api/logs/agent?run_id=${ran.bob?.runId}`);
  expect(((await theirs.json()) as { lines: Line[] }).lines).toEqual([]);
});

test("a team member reads the lines of the team's threads, its teammates' requests included", async () => {
  const found = await lines(red1, 'user_interactions', (all) =>
    all.some((line) => line.key === 'red2' && line.method === 'POST'),
  );
  expect(found.some((line) => line.key === 'red2')).toBe(true);
  expect(new Set(found.map((line) => line.threadId))).toEqual(new Set([ran.red?.threadId]));
  expect(await lines(bob, 'agent')).not.toEqual(
    expect.arrayContaining([expect.objectContaining({ threadId: ran.red?.threadId })]),
  );
});

test('an admin key reads every line, the probe of a thread by a key that does not own it included', async () => {
  const all = await lines(api.adminKey, 'user_interactions', (found) =>
    found.some((line) => line.key === 'bob' && line.status === 404),
  );
  expect(all).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ key: 'bob', status: 404, threadId: ran.alice?.threadId }),
    ]),
  );
  const agent = await lines(api.adminKey, 'agent');
  const threads = new Set(agent.map((line) => line.threadId));
  for (const run of Object.values(ran)) expect(threads.has(run.threadId)).toBe(true);
  // Alice's view of the same file does not hold Bob's probe of her thread.
  const hers = await lines(alice, 'user_interactions');
  expect(hers.some((line) => line.key === 'bob')).toBe(false);
});
