import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { emptyCheckpoint, type Checkpoint } from '@langchain/langgraph';
import { AtolyeError } from '../../../src/errors.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import {
  openCheckpointer,
  type OpenedCheckpointer,
} from '../../../src/orchestrator/checkpointer.js';
import {
  createExecutor,
  type Executor,
  type ExecutorOptions,
} from '../../../src/orchestrator/index.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/tmp.js';
import { hostConfig } from '../deploy/helpers.js';
import { startStepHost, stepsOf, type StepHost } from './helpers.js';
import { eventually } from '../../helpers/eventually.js';

// A real PostgreSQL cluster (initdb in a temp dir, loopback port), the real host and step
// fixtures: checkpoints go to Postgres when storage.url says so.

const FULL_RUN = ['plan', 'act', 'tools', 'act', 'review', 'finalize'];

let postgres: TestPostgres;
let root: ReturnType<typeof tempDir>;
let fixtureDir: string;
let stepHost: StepHost;

beforeAll(async () => {
  root = tempDir('atolye-checkpointer-pg-');
  fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  // Both are awaited even when one fails, so afterAll can stop whichever did start.
  const started = await Promise.allSettled([
    startPostgres().then((server) => (postgres = server)),
    startStepHost(root.dir, fixtureDir).then((host) => (stepHost = host)),
  ]);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
}, 90_000);

afterAll(async () => {
  await Promise.all([postgres?.stop(), stepHost?.stop()]);
  root?.cleanup();
});

let dataDir: string;
let logDir: string;
let logging: Logging;
let closers: (() => Promise<void>)[];
let runDirs: ReturnType<typeof tempDir>;
let databaseCount = 0;

beforeEach(() => {
  runDirs = tempDir('atolye-checkpointer-run-');
  dataDir = path.join(runDirs.dir, 'data');
  logDir = path.join(runDirs.dir, 'logs');
  logging = createLogging(hostConfig(dataDir, logDir), { service: 'orchestrator' });
  closers = [];
});

afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  await logging.close();
  runDirs.cleanup();
});

/** A fresh database per test, so no test sees another's checkpoints. */
async function freshDatabase(): Promise<{ name: string; url: string }> {
  databaseCount += 1;
  const name = `checkpoints_${databaseCount}`;
  return { name, url: await postgres.createDatabase(name) };
}

async function open(url: string): Promise<OpenedCheckpointer> {
  const opened = await openCheckpointer({ url, dataDir });
  closers.push(() => opened.close());
  return opened;
}

function executor(url: string, overrides: Partial<ExecutorOptions> = {}): Executor {
  const config = { ...stepHost.config, storage: { ...stepHost.config.storage, url } };
  const created = createExecutor({
    config,
    hostUrl: stepHost.url,
    signingSecret: stepHost.config.security.signingSecret,
    dataDir,
    logging,
    retry: { initialInterval: 50, jitter: false },
    distDir: path.join(root.dir, 'dist'),
    ...overrides,
  });
  closers.push(() => created.close());
  return created;
}

async function checkpointRows(database: string, threadId: string): Promise<number> {
  const rows = await postgres.query<{ count: string }>(
    database,
    'SELECT count(*) AS count FROM checkpoints WHERE thread_id = $1',
    [threadId],
  );
  return Number(rows[0]?.count);
}

async function captureError(promise: Promise<unknown>): Promise<AtolyeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AtolyeError) return error;
    throw error;
  }
  throw new Error('expected an AtolyeError');
}

test('a checkpoint written through one saver is read back through a fresh one after reopening', async () => {
  const { name, url } = await freshDatabase();
  const first = await open(url);
  expect(first.kind).toBe('postgres');

  const config = { configurable: { thread_id: 'thread-pg', checkpoint_ns: '' } };
  const checkpoint: Checkpoint = {
    ...emptyCheckpoint(),
    channel_values: { task: 'write notes', iteration: 2 },
    channel_versions: { task: 1, iteration: 1 },
  };
  const saved = await first.saver.put(
    config,
    checkpoint,
    { source: 'loop', step: 1, parents: {} },
    { task: 1, iteration: 1 },
  );
  await first.saver.putWrites(saved, [['iteration', 3]], 'task-1');
  await first.close();
  expect(await checkpointRows(name, 'thread-pg')).toBe(1);

  // setup() runs again on an existing schema: it must find its migrations done.
  const second = await open(url);
  const tuple = await second.saver.getTuple(config);
  expect(tuple?.checkpoint.id).toBe(checkpoint.id);
  expect(tuple?.checkpoint.channel_values).toEqual({ task: 'write notes', iteration: 2 });
  expect(tuple?.metadata).toMatchObject({ source: 'loop', step: 1 });
  expect(tuple?.pendingWrites).toEqual([['task-1', 'iteration', 3]]);
  // Nothing went to SQLite.
  expect(existsSync(path.join(dataDir, 'checkpoints.sqlite'))).toBe(false);
});

test('orchestrators starting together on a fresh database set up the checkpoint tables once', async () => {
  const { url } = await freshDatabase();
  // LangGraph's own setup() races on its migrations table when two processes run it at once.
  const opened = await Promise.all([open(url), open(url), open(url)]);
  expect(opened.map((saver) => saver.kind)).toEqual(['postgres', 'postgres', 'postgres']);
  const versions = await postgres.query<{ count: string }>(
    url.slice(url.lastIndexOf('/') + 1),
    'SELECT COUNT(*)::text AS count FROM checkpoint_migrations',
  );
  expect(Number(versions[0]?.count)).toBeGreaterThan(0);
});

test('an empty storage.url keeps checkpoints in <dataDir>/checkpoints.sqlite', async () => {
  const opened = await open('');
  expect(opened.kind).toBe('sqlite');
  expect(existsSync(path.join(dataDir, 'checkpoints.sqlite'))).toBe(true);
});

test('the executor completes a run with its checkpoints in Postgres', async () => {
  const { name, url } = await freshDatabase();
  const runner = executor(url);
  const runId = await runner.startRun('thread-pg-run', 'write notes');
  const run = await runner.waitFor(runId);

  expect(run).toMatchObject({ status: 'success', summary: 'success: write notes (notes.txt)' });
  expect(stepsOf(fixtureDir, runId)).toEqual(FULL_RUN);
  // One checkpoint per step at least, all in Postgres.
  expect(await checkpointRows(name, 'thread-pg-run')).toBeGreaterThanOrEqual(FULL_RUN.length);
  expect(existsSync(path.join(dataDir, 'checkpoints.sqlite'))).toBe(false);
});

test('a run cut off by close() resumes from its Postgres checkpoint in a new executor', async () => {
  const { name, url } = await freshDatabase();
  const first = executor(url);
  const runId = await first.startRun('thread-pg-resume', 'block under the orchestrator');
  await eventually('act was called', () => stepsOf(fixtureDir, runId).includes('act'));
  await first.close();
  const looker = executor(url);
  expect((await looker.getRun(runId))?.status).toBe('running');
  await looker.close();
  expect(await checkpointRows(name, 'thread-pg-resume')).toBeGreaterThan(0);

  const second = executor(url);
  expect(await second.resumeUnfinished()).toBe(1);
  const run = await second.waitFor(runId);

  expect(run.error).toBeNull();
  expect(run.status).toBe('success');
  expect(run.summary).toContain('block under the orchestrator');
  // plan ran once: the second executor took up the checkpoint instead of starting over.
  expect(stepsOf(fixtureDir, runId)).toEqual(FULL_RUN);
  expect(run.usage.inputTokens).toBe(50);
  expect(existsSync(path.join(dataDir, 'checkpoints.sqlite'))).toBe(false);
});

describe('STORE_UNAVAILABLE', () => {
  test('an unreachable server: names host and database, not the password', async () => {
    const closed = await closedPort();
    const url = `postgres://atolye:hunter2-secret@127.0.0.1:${closed}/checkpoints`;
    const error = await captureError(openCheckpointer({ url, dataDir }));

    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`atolye@127.0.0.1:${closed}/checkpoints`);
    expect(error.message).toMatch(/start the Postgres server.*storage\.url \(ATOLYE_STORAGE_URL\)/);
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });

  test('a wrong password: says the user was refused, without echoing either password', async () => {
    const url = `postgres://atolye:wrong-${postgres.password}@127.0.0.1:${postgres.port}/postgres`;
    const error = await captureError(openCheckpointer({ url, dataDir }));

    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).toMatch(/refused user "atolye": check the user name and password/);
    expect(error.message).not.toContain(postgres.password);
  });

  test('a missing database: named, with how to create it', async () => {
    const url = postgres.url('no_such_db');
    const error = await captureError(openCheckpointer({ url, dataDir }));

    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toMatch(/database "no_such_db" does not exist: create it/);
    expect(error.message).not.toContain(postgres.password);
  });

  test('a malformed URL: says what form is expected, without echoing it', async () => {
    for (const url of ['postgres://atolye:s3cr3t@db:notaport/x', 'mysql://atolye:s3cr3t@db/x']) {
      const error = await captureError(openCheckpointer({ url, dataDir }));
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.message).toMatch(
        /storage\.url .*postgres:\/\/user:password@host:5432\/database/,
      );
      expect(error.message).not.toContain('s3cr3t');
    }
  });

  test('the executor ends a run with STORE_UNAVAILABLE and still closes cleanly', async () => {
    const closed = await closedPort();
    const runner = executor(`postgres://atolye:hunter2-secret@127.0.0.1:${closed}/checkpoints`);
    const runId = await runner.startRun('thread-pg-down', 'write notes');
    const run = await runner.waitFor(runId);

    expect(run.status).toBe('error');
    expect(run.error?.code).toBe('STORE_UNAVAILABLE');
    expect(run.error?.message).not.toContain('hunter2');
    expect(stepsOf(fixtureDir, runId)).toEqual([]);
    await expect(runner.close()).resolves.toBeUndefined();
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
