import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { createExecutor, type Executor } from '../../../src/orchestrator/index.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/tmp.js';
import { hostConfig } from '../deploy/helpers.js';
import { startStepHost, type StepHost } from './helpers.js';

// The executor's copyThread and deleteThread on Postgres, whose saver keeps channel values apart
// from the checkpoints (what a copy must write again): a real cluster, the real host and steps.

let postgres: TestPostgres;
let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let logging: Logging;
let executor: Executor;
const DATABASE = 'copies';

beforeAll(async () => {
  root = tempDir('atolye-thread-copy-pg-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  const started = await Promise.allSettled([
    startPostgres().then((server) => (postgres = server)),
    startStepHost(root.dir, fixtureDir).then((host) => (stepHost = host)),
  ]);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  const url = await postgres.createDatabase(DATABASE);
  const dataDir = path.join(root.dir, 'data');
  logging = createLogging(hostConfig(dataDir, path.join(root.dir, 'logs')), {
    service: 'orchestrator',
  });
  executor = createExecutor({
    config: { ...stepHost.config, storage: { ...stepHost.config.storage, url } },
    hostUrl: stepHost.url,
    signingSecret: stepHost.config.security.signingSecret,
    dataDir,
    logging,
    retry: { initialInterval: 50, jitter: false },
    distDir: path.join(root.dir, 'dist'),
  });
}, 90_000);

afterAll(async () => {
  await executor?.close();
  await logging?.close();
  await Promise.all([postgres?.stop(), stepHost?.stop()]);
  root?.cleanup();
});

async function rows(table: 'checkpoints' | 'checkpoint_blobs', threadId: string): Promise<number> {
  const found = await postgres.query<{ count: string }>(
    DATABASE,
    `SELECT count(*) AS count FROM ${table} WHERE thread_id = $1`,
    [threadId],
  );
  return Number(found[0]?.count);
}

test('a copy has the source state and history; deleting the source leaves the copy', async () => {
  const first = await executor.waitFor(await executor.startRun('pg-source', 'write notes'));
  expect(first.status).toBe('success');
  const source = await executor.threadState('pg-source');

  await executor.copyThread('pg-source', 'pg-copy');
  const copy = await executor.threadState('pg-copy');
  expect(copy?.values).toEqual(source?.values);
  expect(copy?.checkpointId).toBe(source?.checkpointId);
  expect(await rows('checkpoints', 'pg-copy')).toBe(await rows('checkpoints', 'pg-source'));
  expect(await rows('checkpoint_blobs', 'pg-copy')).toBe(
    await rows('checkpoint_blobs', 'pg-source'),
  );

  await executor.deleteThread('pg-source');
  expect(await executor.threadState('pg-source')).toBeUndefined();
  expect(await rows('checkpoints', 'pg-source')).toBe(0);
  expect(await rows('checkpoint_blobs', 'pg-source')).toBe(0);

  // The copy goes on from the source's history: a follow-up sees the earlier messages.
  const next = await executor.waitFor(await executor.startRun('pg-copy', 'a follow-up'));
  expect(next.status).toBe('success');
  const after = await executor.threadState('pg-copy');
  expect(after?.values.task).toBe('a follow-up');
  expect(after?.values.messages?.length).toBeGreaterThan(source?.values.messages?.length ?? 0);
});
