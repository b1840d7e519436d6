import { openPostgres } from '../../../src/store/database.js';
import {
  AssistantsStore,
  assistantsOf,
  type NewAssistant,
} from '../../../src/orchestrator/assistants-store.js';
import { MIGRATIONS } from '../../../src/orchestrator/run-records.js';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import { KINDS, useStoreDatabases } from './store-databases.js';

// Assistant variants in the runs store's database, on a real SQLite file and a real Postgres
// database: the same records, searches and versions from both.

function variant(assistantId: string, extra: Partial<NewAssistant> = {}): NewAssistant {
  return {
    assistantId,
    graphId: 'atolye',
    name: 'Careful reviewer',
    description: 'asks before every call',
    configurable: { approval: 'always', max_iterations: 5 },
    metadata: { team: 'docs' },
    owner: 'key:alice',
    ...extra,
  };
}

const ids = (found: { assistantId: string }[]) => found.map((entry) => entry.assistantId);

describe.each(KINDS)('the assistants store on %s', (kind) => {
  const databases = useStoreDatabases(kind);
  let runs: RunsStore;
  let store: AssistantsStore;

  beforeEach(async () => {
    runs = new RunsStore(await databases.open('runs', MIGRATIONS));
    store = assistantsOf(runs);
  });

  test('one store per runs store; a variant reads back as created, only in its scope', async () => {
    expect(assistantsOf(runs)).toBe(store);
    const created = await store.create(variant('a1'));
    expect(created).toEqual({
      ...variant('a1'),
      version: 1,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: created?.createdAt,
    });
    expect(await store.get('a1', { owners: ['key:alice'] })).toEqual(created);
    expect(await store.get('a1', { owners: ['key:bob'] })).toBeUndefined();
    expect(await store.get('nope', { all: true })).toBeUndefined();
    // A taken id is refused, whoever holds it, and the first one stays.
    expect(await store.create(variant('a1', { owner: 'key:bob', name: 'other' }))).toBeUndefined();
    expect((await store.get('a1', { all: true }))?.name).toBe('Careful reviewer');
  });

  test('search by graph, a part of the name in any case, metadata and scope; oldest first', async () => {
    await store.create(variant('a1', { name: 'Alpha helper', metadata: { tag: 'x', level: 2 } }));
    await store.create(variant('a2', { name: 'Beta HELPER 100%_done', metadata: { tag: 'x' } }));
    await store.create(variant('a3', { name: 'Gamma', owner: 'team:qa', graphId: 'other' }));
    const all = { all: true } as const;
    expect(ids(await store.search(all, {}))).toEqual(['a1', 'a2', 'a3']);
    expect(ids(await store.search({ owners: ['key:alice'] }, {}))).toEqual(['a1', 'a2']);
    expect(ids(await store.search({ owners: [] }, {}))).toEqual([]);
    expect(ids(await store.search(all, { graphId: 'other' }))).toEqual(['a3']);
    expect(ids(await store.search(all, { name: 'hElPeR' }))).toEqual(['a1', 'a2']);
    // The part is plain text: % and _ are no wildcards.
    expect(ids(await store.search(all, { name: '100%_' }))).toEqual(['a2']);
    expect(ids(await store.search(all, { name: '%' }))).toEqual(['a2']);
    expect(ids(await store.search(all, { name: 'a_p' }))).toEqual([]);
    expect(ids(await store.search(all, { metadata: { tag: 'x' } }))).toEqual(['a1', 'a2']);
    expect(ids(await store.search(all, { metadata: { tag: 'x', level: 2 } }))).toEqual(['a1']);
    expect(ids(await store.search(all, { metadata: { level: '2' } }))).toEqual([]);
    expect(
      ids(await store.search({ owners: ['team:qa'] }, { name: 'gam', graphId: 'other' })),
    ).toEqual(['a3']);
  });

  test('update makes a new version: given fields replaced, metadata merged', async () => {
    await store.create(variant('a1'));
    const changed = await store.update('a1', {
      name: 'Reviewer',
      configurable: { approval: 'risky' },
      metadata: { stage: 'beta' },
    });
    expect(changed).toMatchObject({
      name: 'Reviewer',
      description: 'asks before every call',
      configurable: { approval: 'risky' },
      metadata: { team: 'docs', stage: 'beta' },
      version: 2,
    });
    expect(await store.update('a1', { description: null })).toMatchObject({
      name: 'Reviewer',
      description: null,
      version: 3,
    });
    expect(await store.update('nope', { name: 'x' })).toBeUndefined();
  });

  test('updates at the same time each count: no change is lost', async () => {
    await store.create(variant('a1', { metadata: {} }));
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
    await Promise.all(keys.map((key) => store.update('a1', { metadata: { [key]: true } })));
    const after = await store.get('a1', { all: true });
    expect(after?.version).toBe(1 + keys.length);
    expect(after?.metadata).toEqual(Object.fromEntries(keys.map((key) => [key, true])));
  });

  test('delete removes the variant once', async () => {
    await store.create(variant('a1'));
    expect(await store.delete('a1')).toBe(true);
    expect(await store.delete('a1')).toBe(false);
    expect(await store.get('a1', { all: true })).toBeUndefined();
  });

  if (kind === 'postgres') {
    test('two processes opening one database at once both succeed, and migrate it once', async () => {
      const postgres = databases.postgres();
      if (!postgres) throw new Error('the Postgres block has no cluster');
      const url = await postgres.createDatabase('runs_together');
      const [one, two] = await Promise.all([
        openPostgres(databases.pool(url), 'runs', MIGRATIONS),
        openPostgres(databases.pool(url), 'runs', MIGRATIONS),
      ]);
      await new AssistantsStore(one).create(variant('a1'));
      expect(ids(await new AssistantsStore(two).search({ all: true }, {}))).toEqual(['a1']);
      expect(
        await postgres.query('runs_together', 'SELECT store, version FROM atolye_schema'),
      ).toEqual([{ store: 'runs', version: MIGRATIONS.postgres.length }]);
    });
  }
});
