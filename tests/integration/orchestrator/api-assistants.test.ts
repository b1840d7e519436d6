import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@langchain/langgraph-sdk';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/tmp.js';
import { assistantConfigurable } from '../../../src/orchestrator/api/assistant-catalog.js';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import { startTestApi, useTestApi, type TestApi } from './api-helpers.js';
import { startStepHost, type StepHost } from './helpers.js';

// Assistants through the official SDK: the built-in one, its graph and schemas, and variants
// with their own run settings, stored in the orchestrator's SQLite file and owned as threads are.

const BUILT_IN_UUID = 'fe096781-5601-53d2-b2f6-0d3403f7e9ca';

let root: ReturnType<typeof tempDir>;
let api: TestApi;
let client: Client;
let other: Client;
let otherKey: string;

useTestApi('atolye-api-assistants-', async (started) => {
  ({ api, client, root } = started);
  otherKey = (await api.orchestrator.keys.create('someone-else')).key;
  other = new Client({ apiUrl: api.url, apiKey: otherKey });
});

/** What the API answered: an error, or (read as such) a record or a list. */
type ApiBody = { error: { code: string; message: string } } & Record<string, unknown>;

async function call(
  method: string,
  route: string,
  body?: unknown,
  key = api.key,
  url = api.url,
): Promise<{ status: number; body: ApiBody; headers: Headers }> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? null : JSON.parse(text),
    headers: response.headers,
  };
}

describe('the built-in assistant', () => {
  test('an unknown assistant is 404 ASSISTANT_NOT_FOUND, not a 500', async () => {
    const missing = await call('GET', '/assistants/no-such-assistant');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ASSISTANT_NOT_FOUND');
    await expect(client.assistants.get('no-such-assistant')).rejects.toThrow(/404/);
    expect((await call('GET', '/assistants/no-such-assistant/graph')).status).toBe(404);
  });

  test('getGraph draws the real graph: its nodes and conditional edges', async () => {
    const graph = await client.assistants.getGraph('atolye');
    expect(graph.nodes.map((node) => node.id)).toEqual([
      '__start__',
      'plan',
      'act',
      'tools',
      'review',
      'finalize',
      '__end__',
    ]);
    const edges = graph.edges.map((edge) => `${edge.source}->${edge.target}`);
    expect(edges).toEqual(
      expect.arrayContaining([
        '__start__->plan',
        'plan->act',
        'act->tools',
        'act->review',
        'act->finalize',
        'tools->act',
        'review->act',
        'review->finalize',
        'finalize->__end__',
      ]),
    );
    expect(graph.edges.find((edge) => edge.source === 'act')?.conditional).toBe(true);
    expect(await client.assistants.getGraph(BUILT_IN_UUID, { xray: true })).toEqual(graph);
  });

  test('getSchemas gives the input, state and config as JSON Schema', async () => {
    const schemas = await client.assistants.getSchemas('atolye');
    expect(schemas.graph_id).toBe('atolye');
    expect(schemas.input_schema).toMatchObject({
      type: 'object',
      properties: { task: { type: 'string' } },
      required: ['task'],
    });
    expect(Object.keys(schemas.state_schema?.properties ?? {})).toEqual(
      expect.arrayContaining(['task', 'messages', 'status', 'summary', 'usage']),
    );
    const configurable = (
      schemas.config_schema as {
        properties: {
          configurable: {
            properties: Record<string, { enum?: string[] }>;
            additionalProperties: boolean;
          };
        };
      }
    ).properties.configurable;
    expect(configurable.properties.approval?.enum).toEqual(['never', 'risky', 'always']);
    expect(Object.keys(configurable.properties)).toEqual([
      'approval',
      'model',
      'max_iterations',
      'max_tokens',
      'max_cost_usd',
    ]);
    expect(configurable.additionalProperties).toBe(false);
  });

  test('cannot be changed or deleted (409, with what to do instead)', async () => {
    for (const id of ['atolye', BUILT_IN_UUID]) {
      const patched = await call('PATCH', `/assistants/${id}`, { name: 'mine' });
      expect(patched.status).toBe(409);
      expect(patched.body.error).toMatchObject({ code: 'ASSISTANT_BUILT_IN' });
      expect(patched.body.error.message).toContain('POST /assistants');
      const deleted = await call('DELETE', `/assistants/${id}`);
      expect(deleted.status).toBe(409);
    }
    expect((await client.assistants.get('atolye')).config).toEqual({ configurable: {} });
  });
});

describe('assistant variants', () => {
  test('create, get, update and delete one with its own run settings', async () => {
    const created = await client.assistants.create({
      graphId: 'atolye',
      name: 'Careful reviewer',
      description: 'asks before every call',
      config: { configurable: { approval: 'always', max_iterations: 5, model: 'small-model' } },
      metadata: { team: 'docs' },
    });
    expect(created).toMatchObject({
      graph_id: 'atolye',
      name: 'Careful reviewer',
      description: 'asks before every call',
      config: { configurable: { approval: 'always', max_iterations: 5, model: 'small-model' } },
      metadata: { team: 'docs' },
      version: 1,
    });
    expect(created.assistant_id).not.toBe(BUILT_IN_UUID);
    expect(await client.assistants.get(created.assistant_id)).toEqual(created);

    const updated = await client.assistants.update(created.assistant_id, {
      name: 'Reviewer',
      config: { configurable: { approval: 'risky' } },
      metadata: { stage: 'beta' },
    });
    expect(updated).toMatchObject({
      name: 'Reviewer',
      description: 'asks before every call',
      config: { configurable: { approval: 'risky' } },
      metadata: { team: 'docs', stage: 'beta' },
      version: 2,
    });

    await expect(client.assistants.delete(created.assistant_id)).resolves.toBeUndefined();
    expect((await call('GET', `/assistants/${created.assistant_id}`)).status).toBe(404);
    expect((await call('DELETE', `/assistants/${created.assistant_id}`)).status).toBe(404);
  });

  test('an id given by the client: taken is 409 unless if_exists is do_nothing', async () => {
    const assistantId = `fixed-${Date.now()}`;
    await client.assistants.create({ graphId: 'atolye', assistantId, name: 'first' });
    const again = await call('POST', '/assistants', {
      graph_id: 'atolye',
      assistant_id: assistantId,
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ASSISTANT_EXISTS');
    const reused = await client.assistants.create({
      graphId: 'atolye',
      assistantId,
      ifExists: 'do_nothing',
      name: 'second',
    });
    expect(reused.name).toBe('first');
    // Another key may neither see it nor take its id.
    expect((await call('GET', `/assistants/${assistantId}`, undefined, otherKey)).status).toBe(404);
    const taken = await call(
      'POST',
      '/assistants',
      { graph_id: 'atolye', assistant_id: assistantId },
      otherKey,
    );
    expect(taken.status).toBe(404);
  });

  test('search lists the built-in one with the variants, filtered, sorted and paged', async () => {
    const tag = `search-${Date.now()}`;
    const one = await client.assistants.create({
      graphId: 'atolye',
      name: 'Alpha helper',
      metadata: { tag },
    });
    const two = await client.assistants.create({
      graphId: 'atolye',
      name: 'Beta helper',
      metadata: { tag, level: 2 },
    });
    const ids = (list: { assistant_id: string }[]) => list.map((entry) => entry.assistant_id);

    const all = await client.assistants.search({ limit: 1000 });
    expect(ids(all)).toEqual(expect.arrayContaining([BUILT_IN_UUID, one.assistant_id]));
    expect(all.at(-1)?.assistant_id).toBe(BUILT_IN_UUID); // the oldest, newest first
    expect(ids(await client.assistants.search({ metadata: { tag } }))).toEqual([
      two.assistant_id,
      one.assistant_id,
    ]);
    expect(ids(await client.assistants.search({ metadata: { tag, level: 2 } }))).toEqual([
      two.assistant_id,
    ]);
    expect(ids(await client.assistants.search({ name: 'alpha HELP' }))).toEqual([one.assistant_id]);
    expect(ids(await client.assistants.search({ name: 'tolye' }))).toEqual([BUILT_IN_UUID]);
    expect(
      ids(await client.assistants.search({ metadata: { tag }, sortBy: 'name', sortOrder: 'asc' })),
    ).toEqual([one.assistant_id, two.assistant_id]);
    expect(await client.assistants.search({ graphId: 'other' })).toEqual([]);

    const paged = await client.assistants.search({
      metadata: { tag },
      limit: 1,
      includePagination: true,
    });
    expect(ids(paged.assistants)).toEqual([two.assistant_id]);
    expect(paged.next).toBe('1');
    const selected = await client.assistants.search({
      metadata: { tag },
      select: ['assistant_id', 'name'],
    });
    expect(selected[0]).toEqual({ assistant_id: two.assistant_id, name: 'Beta helper' });

    // Another key sees the built-in assistant only.
    expect(ids(await other.assistants.search({ limit: 1000 }))).toEqual([BUILT_IN_UUID]);
  });

  test('assistantConfigurable gives a run what its assistant fixes, undefined when unknown', async () => {
    const created = await client.assistants.create({
      graphId: 'atolye',
      config: { configurable: { max_cost_usd: 0.5 } },
    });
    const store = RunsStore.inFile(path.join(root.dir, 'api-data', 'orchestrator.sqlite'));
    try {
      const caller = { id: 1, name: 'tests', team: null, admin: false };
      const stranger = { id: 2, name: 'someone-else', team: null, admin: false };
      expect(await assistantConfigurable({ store }, created.assistant_id, caller)).toEqual({
        max_cost_usd: 0.5,
      });
      expect(await assistantConfigurable({ store }, 'atolye', caller)).toEqual({});
      expect(await assistantConfigurable({ store }, BUILT_IN_UUID, stranger)).toEqual({});
      expect(
        await assistantConfigurable({ store }, created.assistant_id, stranger),
      ).toBeUndefined();
      expect(await assistantConfigurable({ store }, 'no-such-assistant', caller)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe('refused requests name the field and the fix', () => {
  test.each([
    [
      'an unknown configurable key',
      { graph_id: 'atolye', config: { configurable: { temperature: 0.2 } } },
      /config\.configurable: field "temperature" not supported; the supported fields are approval, model, max_iterations, max_tokens, max_cost_usd/,
    ],
    [
      'a config key other than configurable',
      { graph_id: 'atolye', config: { recursion_limit: 5 } },
      /config: field "recursion_limit" not supported; the supported fields are configurable/,
    ],
    ['a context', { graph_id: 'atolye', context: { model: 'x' } }, /field "context" not supported/],
    ['another graph', { graph_id: 'other' }, /graph_id: the only graph is "atolye"/],
    [
      'a bad approval value',
      { graph_id: 'atolye', config: { configurable: { approval: 'sometimes' } } },
      /config\.configurable\.approval/,
    ],
  ])('POST /assistants with %s is a 400', async (_what, body, message) => {
    const refused = await call('POST', '/assistants', body);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_REQUEST');
    expect(refused.body.error.message).toMatch(message);
  });

  test('PATCH with an unknown field, search with one, delete_threads=true', async () => {
    const created = await client.assistants.create({ graphId: 'atolye' });
    const patched = await call('PATCH', `/assistants/${created.assistant_id}`, { version: 3 });
    expect(patched.status).toBe(400);
    expect(patched.body.error.message).toMatch(/field "version" not supported/);
    const searched = await call('POST', '/assistants/search', { query: 'x' });
    expect(searched.status).toBe(400);
    expect(searched.body.error.message).toMatch(
      /field "query" not supported; the supported fields are graph_id, name, metadata, limit, offset, sort_by, sort_order, select/,
    );
    await expect(
      client.assistants.delete(created.assistant_id, { deleteThreads: true }),
    ).rejects.toThrow(/400/);
    expect((await client.assistants.get(created.assistant_id)).assistant_id).toBe(
      created.assistant_id,
    );
  });
});

// Found by `npm run fuzz`: on Postgres, which cannot hold a NUL character, such ids were a 500.
describe('an odd assistant id is unknown (404), never a 500, on SQLite and on Postgres', () => {
  const oddIds = ['a%00b', '%00', 'x'.repeat(150), '%E2%80%A4%E2%80%A4', '..%2F', '%ED%A0%80'];
  let pg: { root: ReturnType<typeof tempDir>; postgres?: TestPostgres; host?: StepHost };
  let pgApi: TestApi | undefined;

  beforeAll(async () => {
    pg = { root: tempDir('atolye-api-assistants-pg-') };
    const fixtureDir = path.join(pg.root.dir, 'fixture');
    mkdirSync(fixtureDir);
    pg.postgres = await startPostgres();
    const url = await pg.postgres.createDatabase('assistants');
    pg.host = await startStepHost(pg.root.dir, fixtureDir);
    pgApi = await startTestApi(pg.root.dir, pg.host, { 'storage.url': url });
  }, 120_000);

  afterAll(async () => {
    await pgApi?.stop();
    await pg.host?.stop();
    await pg.postgres?.stop();
    pg.root.cleanup();
  });

  const stores = (): [string, TestApi][] => [
    ['sqlite', api],
    ['postgres', pgApi as TestApi],
  ];

  test('GET, PATCH and DELETE /assistants/<odd id>', async () => {
    for (const [store, target] of stores()) {
      for (const id of oddIds) {
        for (const method of ['GET', 'PATCH', 'DELETE']) {
          const body = method === 'PATCH' ? { name: 'renamed' } : undefined;
          const answer = await call(method, `/assistants/${id}`, body, target.key, target.url);
          expect({
            store,
            id,
            method,
            status: answer.status,
            code: answer.body.error.code,
          }).toEqual({ store, id, method, status: 404, code: 'ASSISTANT_NOT_FOUND' });
        }
      }
    }
  });

  test('a run of an odd assistant_id is a 404 naming the rule, and leaves no thread behind', async () => {
    for (const [store, target] of stores()) {
      const threads = async () =>
        (await call('POST', '/threads/search', { limit: 1000 }, target.key, target.url)).body;
      const thread = await call('POST', '/threads', {}, target.key, target.url);
      const before = await threads();
      for (const route of [
        `/threads/${String(thread.body.thread_id)}/runs`,
        '/runs',
        '/runs/wait',
      ]) {
        for (const assistantId of ['a\u0000b', '\u0000', 'x'.repeat(150)]) {
          const body = { assistant_id: assistantId, input: { task: 'write notes' } };
          const answer = await call('POST', route, body, target.key, target.url);
          expect({ store, route, status: answer.status, code: answer.body.error.code }).toEqual({
            store,
            route,
            status: 404,
            code: 'ASSISTANT_NOT_FOUND',
          });
          expect(answer.body.error.message).toMatch(/an assistant id is 1–128 letters/);
        }
      }
      expect(await threads()).toEqual(before);
    }
  });
});
