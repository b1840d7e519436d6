import { openPostgres, type Database } from '../../../src/store/database.js';
import {
  CRON_MIGRATIONS,
  CronsStore,
  type NewCron,
} from '../../../src/orchestrator/crons-store.js';
import { sleep } from '../../helpers/eventually.js';
import { KINDS, useStoreDatabases } from './store-databases.js';

// The crons store on a real SQLite file and a real Postgres database: the same records, filters,
// sorting, paging and counts from both, and Postgres processes that start together migrate once.

function newCron(cronId: string, extra: Partial<NewCron> = {}): NewCron {
  return {
    cronId,
    threadId: null,
    owner: 'key:alice',
    key: { id: 7, name: 'alice', team: 'qa' },
    schedule: '0 9 * * *',
    endTime: null,
    enabled: true,
    onRunCompleted: 'keep',
    payload: { input: { task: 'nightly check' }, interrupt_before: ['act'] },
    metadata: { team: 'qa' },
    nextRunDate: '2026-03-02T09:00:00.000Z',
    ...extra,
  };
}

const ids = (crons: { cronId: string }[]) => crons.map((cron) => cron.cronId);

describe.each(KINDS)('the crons store on %s', (kind) => {
  const databases = useStoreDatabases(kind);
  let store: CronsStore;
  let database: Database;

  beforeEach(async () => {
    database = await databases.open('crons', CRON_MIGRATIONS);
    store = new CronsStore(database);
  });

  test('a cron reads back as it was stored, and only in its scope', async () => {
    const stored = await store.insert(
      newCron('c1', { threadId: 't1', onRunCompleted: null, endTime: '2026-04-01T00:00:00.000Z' }),
    );
    expect(stored).toEqual({
      ...newCron('c1', {
        threadId: 't1',
        onRunCompleted: null,
        endTime: '2026-04-01T00:00:00.000Z',
      }),
      lastRunId: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: stored.createdAt,
    });
    expect(await store.get('c1', { owners: ['team:qa', 'key:alice'] })).toEqual(stored);
    expect(await store.get('c1', { owners: ['key:bob'] })).toBeUndefined();
    expect(await store.get('c1', { owners: [] })).toBeUndefined();
    expect(await store.get('nope', { all: true })).toBeUndefined();
  });

  test('find filters by thread, enabled, metadata and scope; count agrees, as a number', async () => {
    await store.insert(newCron('c1', { threadId: 't1', metadata: { 'a.b': 1, level: { n: 2 } } }));
    await store.insert(newCron('c2', { enabled: false, metadata: { 'a.b': 1 } }));
    await store.insert(newCron('c3', { owner: 'key:bob', metadata: {} }));
    const all = { all: true } as const;
    const cases: [
      Parameters<CronsStore['find']>[0],
      Parameters<CronsStore['find']>[1],
      string[],
    ][] = [
      [{}, all, ['c1', 'c2', 'c3']],
      [{}, { owners: ['key:alice'] }, ['c1', 'c2']],
      [{ threadId: 't1' }, all, ['c1']],
      [{ enabled: true }, all, ['c1', 'c3']],
      [{ enabled: false }, all, ['c2']],
      [{ metadata: { 'a.b': 1 } }, all, ['c1', 'c2']],
      [{ metadata: { 'a.b': 1, level: { n: 2 } } }, all, ['c1']],
      [{ metadata: { 'a.b': '1' } }, all, []],
      [{ metadata: { a: { b: 1 } } }, all, []],
      [{ metadata: { 'a.b': 1 } }, { owners: ['key:bob'] }, []],
    ];
    for (const [filter, scope, expected] of cases) {
      const found = await store.find(filter, scope, { by: 'cron_id', order: 'asc' });
      expect({ filter, scope, found: ids(found) }).toEqual({ filter, scope, found: expected });
      const count = await store.count(filter, scope);
      expect(count).toBe(expected.length);
      expect(typeof count).toBe('number');
    }
  });

  test('find sorts either way (no thread before any thread, as SQLite has it) and pages', async () => {
    await store.insert(newCron('c1', { threadId: 'tb' }));
    await store.insert(newCron('c2'));
    await store.insert(newCron('c3', { threadId: 'ta' }));
    const all = { all: true } as const;
    expect(ids(await store.find({}, all, { by: 'thread_id', order: 'asc' }))).toEqual([
      'c2',
      'c3',
      'c1',
    ]);
    expect(ids(await store.find({}, all, { by: 'thread_id', order: 'desc' }))).toEqual([
      'c1',
      'c3',
      'c2',
    ]);
    const byId = { by: 'cron_id', order: 'desc' } as const;
    expect(ids(await store.find({}, all, byId, { limit: 2, offset: 0 }))).toEqual(['c3', 'c2']);
    expect(ids(await store.find({}, all, byId, { limit: 2, offset: 2 }))).toEqual(['c1']);
    expect(ids(await store.find({}, all, byId, { limit: -1, offset: 1 }))).toEqual(['c2', 'c1']);
    expect(ids(await store.find({}, all, byId, { limit: 0, offset: 0 }))).toEqual([]);
    // The default: newest first, all of them.
    expect(await store.find({}, all)).toHaveLength(3);
  });

  test('update sets what it is given, leaves the rest, and moves updated_at', async () => {
    const before = await store.insert(newCron('c1'));
    await sleep(5); // a later millisecond for updated_at
    const after = await store.update('c1', {
      enabled: false,
      nextRunDate: null,
      metadata: { team: 'docs' },
      payload: { input: { task: 'weekly check' } },
      schedule: undefined,
    });
    expect(after).toEqual({
      ...before,
      enabled: false,
      nextRunDate: null,
      metadata: { team: 'docs' },
      payload: { input: { task: 'weekly check' } },
      updatedAt: expect.any(String),
    });
    expect(after?.updatedAt).not.toBe(before.updatedAt);
    const again = await store.update('c1', {
      enabled: true,
      schedule: '*/5 * * * *',
      endTime: '2026-05-01T00:00:00.000Z',
      onRunCompleted: 'delete',
    });
    expect(again).toMatchObject({
      enabled: true,
      schedule: '*/5 * * * *',
      endTime: '2026-05-01T00:00:00.000Z',
      onRunCompleted: 'delete',
      metadata: { team: 'docs' },
    });
    expect(await store.update('nope', { enabled: false })).toBeUndefined();
  });

  test('due crons, the earliest next run, the last run, and deletion', async () => {
    expect(await store.earliestNextRun()).toBeNull();
    await store.insert(newCron('late', { nextRunDate: '2026-03-02T10:00:00.000Z' }));
    await store.insert(newCron('early', { nextRunDate: '2026-03-02T08:00:00.000Z' }));
    await store.insert(newCron('off', { enabled: false, nextRunDate: null }));
    expect(await store.earliestNextRun()).toBe('2026-03-02T08:00:00.000Z');
    expect(ids(await store.due('2026-03-02T09:00:00.000Z'))).toEqual(['early']);
    expect(ids(await store.due('2026-03-02T10:00:00.000Z'))).toEqual(['early', 'late']);

    expect(
      await store.advance('early', '2026-03-02T08:00:00.000Z', '2026-03-03T08:00:00.000Z'),
    ).toBe(true);
    await store.setLastRun('early', 'run-1');
    expect(await store.get('early', { all: true })).toMatchObject({
      nextRunDate: '2026-03-03T08:00:00.000Z',
      lastRunId: 'run-1',
    });
    expect(await store.earliestNextRun()).toBe('2026-03-02T10:00:00.000Z');

    expect(await store.delete('late')).toBe(true);
    expect(await store.delete('late')).toBe(false);
    expect(ids(await store.find({}, { all: true }))).toEqual(
      expect.arrayContaining(['early', 'off']),
    );
    expect(await store.count({}, { all: true })).toBe(2);
  });

  test('of several orchestrators advancing one due firing at once, exactly one wins', async () => {
    await store.insert(newCron('shared', { nextRunDate: '2026-03-02T09:00:00.000Z' }));
    const stores = [
      store,
      ...(await Promise.all(
        [1, 2].map(async () => new CronsStore(await databases.reopen(database))),
      )),
    ];
    const won = await Promise.all(
      stores.map((each) =>
        each.advance('shared', '2026-03-02T09:00:00.000Z', '2026-03-03T09:00:00.000Z'),
      ),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await store.get('shared', { all: true }))?.nextRunDate).toBe(
      '2026-03-03T09:00:00.000Z',
    );
    // A firing that moved on meanwhile is not at the time this one read any more.
    expect(await store.advance('shared', '2026-03-02T09:00:00.000Z', null)).toBe(false);
  });

  if (kind === 'postgres') {
    test('two processes opening one database at once both succeed, and migrate it once', async () => {
      const postgres = databases.postgres();
      if (!postgres) throw new Error('the Postgres block has no cluster');
      const url = await postgres.createDatabase('crons_together');
      const [one, two] = await Promise.all([
        openPostgres(databases.pool(url), 'crons', CRON_MIGRATIONS),
        openPostgres(databases.pool(url), 'crons', CRON_MIGRATIONS),
      ]);
      await new CronsStore(one).insert(newCron('c1'));
      expect(ids(await new CronsStore(two).find({}, { all: true }))).toEqual(['c1']);
      expect(
        await postgres.query('crons_together', 'SELECT store, version FROM atolye_schema'),
      ).toEqual([{ store: 'crons', version: CRON_MIGRATIONS.postgres.length }]);
    });
  }
});
