import path from 'node:path';
import Sqlite from 'better-sqlite3';
import type pg from 'pg';
import { MIGRATIONS } from '../../../src/orchestrator/run-records.js';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import { openPostgres, postgresPool, sql, type Migrations } from '../../../src/store/database.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/tmp.js';

// Bringing a store's schema up to date: on a real Postgres database that several processes open
// at once, and on a real SQLite file an older version of the orchestrator left behind.

describe('openPostgres', () => {
  let cluster: TestPostgres;
  let pools: pg.Pool[] = [];

  beforeAll(async () => {
    cluster = await startPostgres();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(pools.map(endPool));
    pools = [];
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  /** A pool of its own, as each orchestrator process has. */
  function pool(url: string): pg.Pool {
    const made = postgresPool(url);
    pools.push(made);
    return made;
  }

  /**
   * Ends the pool once its connections are closed. pool.end() resolves before their sockets are:
   * a server stopped meanwhile would cut one, an 'error' the ended pool has no one to hand to.
   */
  function endPool(ended: pg.Pool): Promise<void> {
    let open = ended.totalCount;
    const closed = new Promise<void>((resolve) => {
      if (open === 0) resolve();
      ended.on('remove', () => {
        open -= 1;
        if (open === 0) resolve();
      });
    });
    return Promise.all([ended.end(), closed]).then(() => undefined);
  }

  // Each step leaves a row: a step run twice would leave two, or fail on its CREATE TABLE.
  const counted = (steps: number): Migrations => ({
    sqlite: [],
    postgres: [
      `CREATE TABLE steps (step INTEGER NOT NULL); INSERT INTO steps VALUES (1);`,
      ...Array.from(
        { length: steps - 1 },
        (_, index) => `INSERT INTO steps VALUES (${index + 2});`,
      ),
    ],
  });

  test('two processes opening one fresh database at once both succeed, and it migrates once', async () => {
    const url = await cluster.createDatabase('at_once');
    const [first, second] = await Promise.all([
      openPostgres(pool(url), 'counted', counted(2)),
      openPostgres(pool(url), 'counted', counted(2)),
    ]);
    expect(await first.all(sql`SELECT step FROM steps ORDER BY step`)).toEqual([
      { step: 1 },
      { step: 2 },
    ]);
    expect(await second.all(sql`SELECT store, version FROM atolye_schema`)).toEqual([
      { store: 'counted', version: 2 },
    ]);

    // A later version runs only its new step.
    const later = await openPostgres(pool(url), 'counted', counted(3));
    expect(await later.all(sql`SELECT step FROM steps ORDER BY step`)).toEqual([
      { step: 1 },
      { step: 2 },
      { step: 3 },
    ]);
  });

  test('the runs store opened by two processes at once: one schema, rows seen by both', async () => {
    const url = await cluster.createDatabase('runs_at_once');
    const [one, two] = await Promise.all([
      openPostgres(pool(url), 'runs', MIGRATIONS),
      openPostgres(pool(url), 'runs', MIGRATIONS),
    ]);
    await new RunsStore(one).createRun('r1', 't1', 'a task');
    expect(await new RunsStore(two).runsOf('t1')).toEqual([
      expect.objectContaining({ runId: 'r1', task: 'a task', status: 'pending' }),
    ]);
    expect(await two.all(sql`SELECT store, version FROM atolye_schema`)).toEqual([
      { store: 'runs', version: MIGRATIONS.postgres.length },
    ]);
  });
});

describe('openSqlite', () => {
  let dirs: ReturnType<typeof tempDir>;

  beforeEach(() => {
    dirs = tempDir('atolye-store-upgrade-');
  });

  afterEach(() => {
    dirs.cleanup();
  });

  /** The assistants table as the assistants store made it on first use, before migration 5. */
  const FIRST_USE_ASSISTANTS = `CREATE TABLE IF NOT EXISTS assistants (
    assistant_id TEXT PRIMARY KEY,
    graph_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    configurable TEXT NOT NULL DEFAULT '{}',
    metadata TEXT NOT NULL DEFAULT '{}',
    owner TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS assistants_owner ON assistants (owner, created_at);`;

  /** A runs store file as the orchestrator left it at schema version 4, with a finished run. */
  function oldFile(file: string, withAssistant: boolean): void {
    const raw = new Sqlite(file);
    try {
      for (const step of MIGRATIONS.sqlite.slice(0, 4)) raw.exec(step);
      raw.pragma('user_version = 4');
      const at = '2026-01-01T00:00:00.000Z';
      raw
        .prepare(
          `INSERT INTO threads (thread_id, metadata, owner, created_at, updated_at)
           VALUES ('old-thread', '{"project":"x"}', 'key:alice', ?, ?)`,
        )
        .run(at, at);
      raw
        .prepare(
          `INSERT INTO runs (run_id, thread_id, seq, task, status, summary, input_tokens,
                             control, created_at, updated_at)
           VALUES ('old-run', 'old-thread', 1, 'old task', 'success', 'done', 42,
                   '{"model":"m1"}', ?, ?)`,
        )
        .run(at, at);
      raw.exec(
        `INSERT INTO run_events (run_id, seq, event, data) VALUES ('old-run', 1, 'end', '{}')`,
      );
      if (withAssistant) {
        raw.exec(FIRST_USE_ASSISTANTS);
        raw
          .prepare(
            `INSERT INTO assistants (assistant_id, graph_id, name, created_at, updated_at)
             VALUES ('a1', 'agent', 'kept', ?, ?)`,
          )
          .run(at, at);
      }
    } finally {
      raw.close();
    }
  }

  /** Each table's column names: equal for two files of the same schema. */
  function columns(file: string): Record<string, string[]> {
    const raw = new Sqlite(file, { readonly: true, fileMustExist: true });
    try {
      const tables = raw
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
        .pluck()
        .all() as string[];
      return Object.fromEntries(
        tables.map((table) => [
          table,
          (raw.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name),
        ]),
      );
    } finally {
      raw.close();
    }
  }

  test.each([false, true])(
    'a file at version 4 upgrades to the current schema and keeps its rows (assistants made on first use: %s)',
    async (withAssistant) => {
      const file = path.join(dirs.dir, 'old.sqlite');
      oldFile(file, withAssistant);

      const store = RunsStore.inFile(file);
      try {
        expect(await store.thread('old-thread', { owners: ['key:alice'] })).toMatchObject({
          metadata: { project: 'x' },
          owner: 'key:alice',
          status: 'idle',
        });
        expect(await store.runsOf('old-thread')).toEqual([
          expect.objectContaining({
            runId: 'old-run',
            task: 'old task',
            status: 'success',
            summary: 'done',
            usage: { inputTokens: 42, outputTokens: 0, costUsd: 0 },
            control: { model: 'm1' },
          }),
        ]);
        expect(await store.database.all(sql`SELECT run_id, event FROM run_events`)).toEqual([
          { run_id: 'old-run', event: 'end' },
        ]);
        expect(await store.database.all(sql`SELECT assistant_id, name FROM assistants`)).toEqual(
          withAssistant ? [{ assistant_id: 'a1', name: 'kept' }] : [],
        );
        // It goes on where it was: the next run of the thread is its second.
        await store.createRun('new-run', 'old-thread', 'new task');
        expect((await store.runsOf('old-thread')).map((run) => run.runId)).toEqual([
          'old-run',
          'new-run',
        ]);
      } finally {
        await store.close();
      }

      const fresh = path.join(dirs.dir, 'fresh.sqlite');
      await RunsStore.inFile(fresh).close();
      expect(columns(file)).toEqual(columns(fresh));
      const raw = new Sqlite(file, { readonly: true });
      try {
        expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.sqlite.length);
      } finally {
        raw.close();
      }
    },
  );
});
