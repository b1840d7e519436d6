import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../../../../src/config/index.js';
import { startHost as startLocalHost } from '../../../../src/deploy/local/host.js';
import { createLogging } from '../../../../src/logging/index.js';
import {
  createGateway,
  FunctionPool,
  postgresReplies,
  Registry,
  type Gateway,
  type PostgresReplies,
} from '../../../../src/runtime/host/index.js';
import { callFingerprint } from '../../../../src/runtime/host/idempotency.js';
import { signatureHeaders } from '../../../../src/runtime/signing.js';
import { eventually } from '../../../helpers/eventually.js';
import { startPostgres, type TestPostgres } from '../../../helpers/postgres.js';
import { tempDir } from '../../../helpers/tmp.js';
import { bundleFixtures, poolSpec, recordingLogger, STAMP } from './harness.js';

/**
 * Two worker hosts on one real Postgres database, as behind a host pool: a step retried on the
 * other host with the same idempotency key gets the first host's reply and runs nothing.
 */

const SECRET = 'shared-replies-test-secret';
const tmp = tempDir('atolye-shared-replies-');
let postgres: TestPostgres;
let databaseUrl: string;
let echoBundle: string;

interface Host {
  url: string;
  logger: ReturnType<typeof recordingLogger>;
  gateway: Gateway;
  replies: PostgresReplies;
}
let a: Host;
let b: Host;

async function startHost(options: { sweepMs?: number } = {}): Promise<Host> {
  const logger = recordingLogger();
  const registry = new Registry();
  // One worker, so the echo counter of a host counts every run on that host.
  registry.swap(
    'echo',
    new FunctionPool(poolSpec('echo', echoBundle, { maxWorkers: 1 }), {
      stamp: STAMP,
      logger,
      stopGraceMs: 500,
    }),
  );
  const replies = postgresReplies({ url: databaseUrl, logger, ...options });
  const gateway = createGateway({
    config: { security: { signingSecret: SECRET, adminToken: '' } },
    registry,
    logger,
    idempotency: { shared: replies },
  });
  const { url } = await gateway.listen(0, '127.0.0.1');
  return { url, logger, gateway, replies };
}

async function stopHost(host: Host | undefined): Promise<void> {
  if (!host) return;
  await host.gateway.close();
  await host.replies.close();
}

interface Reply {
  status: number;
  /** The body as it came, byte for byte. */
  text: string;
  replayed: boolean;
}

/** A freshly signed call of echo, as the invoke client makes each attempt. */
async function echo(
  host: { url: string },
  input: Record<string, unknown>,
  key?: string,
): Promise<Reply> {
  const path = '/fn/echo';
  const body = JSON.stringify({ input, meta: { invocationId: randomUUID() } });
  const response = await fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...signatureHeaders(SECRET, { method: 'POST', path, body }),
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body,
  });
  return {
    status: response.status,
    text: await response.text(),
    replayed: response.headers.get('idempotent-replayed') === 'true',
  };
}

/**
 * How many times echo has run on `host`, counted by an unkeyed call that runs too: two counts
 * with nothing run between them differ by one.
 */
async function runsOn(host: Host): Promise<number> {
  const reply = await echo(host, { message: 'count' });
  return (JSON.parse(reply.text) as { output: { invocations: number } }).output.invocations;
}

const rowsOf = (key: string) =>
  postgres.query<{ body: string }>('replies', 'SELECT body FROM host_replies WHERE key = $1', [
    key,
  ]);

beforeAll(async () => {
  [postgres, { echo: echoBundle }] = await Promise.all([
    startPostgres(),
    bundleFixtures(['echo'], tmp.dir),
  ]);
  databaseUrl = await postgres.createDatabase('replies');
  a = await startHost();
  b = await startHost({ sweepMs: 0 });
});

afterAll(async () => {
  await Promise.all([stopHost(a), stopHost(b)]);
  await postgres?.stop();
});

test('a call completed on one host, repeated on another under its key, gets the first reply and runs nothing there', async () => {
  const key = `step-${randomUUID()}`;
  const input = { message: 'pay 10' };
  const first = await echo(a, input, key);
  expect(first.status).toBe(200);
  const runsBefore = await runsOn(b);

  // Two attempts at once on the other host: one looks in the database, the other waits for it.
  const [retry, duplicate] = await Promise.all([echo(b, input, key), echo(b, input, key)]);

  expect(retry).toEqual({ status: 200, text: first.text, replayed: true });
  expect(duplicate).toEqual({ status: 200, text: first.text, replayed: true });
  expect(await runsOn(b)).toBe(runsBefore + 1);
  expect(await rowsOf(key)).toEqual([{ body: first.text }]);
});

test('the same key with another body on the other host is refused, and runs nothing', async () => {
  const key = `step-${randomUUID()}`;
  expect((await echo(a, { message: 'pay 10' }, key)).status).toBe(200);
  const runsBefore = await runsOn(b);

  const reused = await echo(b, { message: 'pay 1000' }, key);

  expect(reused.status).toBe(422);
  expect(JSON.parse(reused.text)).toMatchObject({
    error: { code: 'IDEMPOTENCY_KEY_REUSED', retryable: false },
  });
  expect(reused.text).toContain(key);
  expect(await runsOn(b)).toBe(runsBefore + 1);
});

test('a retryable failure is not shared: its retry on the other host runs', async () => {
  const key = `step-${randomUUID()}`;
  const input = { message: 'flaky', fail: 'retryable' };
  expect((await echo(a, input, key)).status).toBe(500);
  const runsBefore = await runsOn(b);

  const retry = await echo(b, input, key);

  expect(retry).toMatchObject({ status: 500, replayed: false });
  expect(await runsOn(b)).toBe(runsBefore + 2);
  expect(await rowsOf(key)).toEqual([]);
});

test('an expired reply is ignored, replaced by the next one, and expired rows are deleted', async () => {
  const input = { message: 'old news' };
  const expired = `step-${randomUUID()}`;
  const other = `step-${randomUUID()}`;
  const insert = `INSERT INTO host_replies (key, fingerprint, status, body, headers, expires_at)
                  VALUES ($1, $2, 200, '{"stale":true}', '{}', now() - interval '1 minute')`;
  const fingerprint = callFingerprint({ function: 'echo', input });
  await postgres.query('replies', insert, [expired, fingerprint]);
  await postgres.query('replies', insert, [other, fingerprint]);

  const reply = await echo(b, input, expired);

  expect(reply).toMatchObject({ status: 200, replayed: false });
  expect(JSON.parse(reply.text)).toMatchObject({ output: { message: 'old news' } });
  expect(await rowsOf(expired)).toEqual([{ body: reply.text }]);
  // Host b sweeps after every write it makes (sweepMs 0).
  await eventually('the other expired row to be deleted', async () =>
    (await rowsOf(other)).length === 0 ? true : undefined,
  );
});

test('a host started with storage.url keeps its replies in that database', async () => {
  const config = loadConfig({
    env: 'testing',
    overrides: {
      'storage.dataDir': path.join(tmp.dir, 'local-data'),
      'logging.dir': path.join(tmp.dir, 'local-logs'),
      'storage.url': databaseUrl,
      'security.signingSecret': SECRET,
    },
  }).config;
  const logging = createLogging(config, { service: 'host', release: STAMP.release });
  const local = await startLocalHost(config, { port: 0, logging });
  try {
    local.registry.swap(
      'echo',
      new FunctionPool(poolSpec('echo', echoBundle), { stamp: STAMP, stopGraceMs: 500 }),
    );
    const key = `step-${randomUUID()}`;
    const first = await echo(local.address, { message: 'local' }, key);
    expect(first.status).toBe(200);
    expect(await rowsOf(key)).toEqual([{ body: first.text }]);
    expect(await echo(b, { message: 'local' }, key)).toEqual({
      status: 200,
      text: first.text,
      replayed: true,
    });
  } finally {
    await local.close();
    await logging.close();
  }
});

// Last: the database does not come back.
test('with the database stopped, calls still succeed from memory, and the host says so', async () => {
  await postgres.stop();
  const key = `step-${randomUUID()}`;
  const input = { message: 'offline' };

  const first = await echo(a, input, key);
  const repeat = await echo(a, input, key);
  const elsewhere = await echo(b, input, key);

  expect(first).toMatchObject({ status: 200, replayed: false });
  expect(repeat).toEqual({ status: 200, text: first.text, replayed: true });
  // Without the database the other host cannot know: it runs the call again.
  expect(elsewhere).toMatchObject({ status: 200, replayed: false });
  for (const host of [a, b]) {
    const warnings = host.logger.lines.filter(
      (line) => line.level === 'warn' && line.msg.includes('"host-replies"'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toContain("stay in this host's memory");
    expect(warnings[0]?.msg).not.toContain(postgres.password);
  }
});
