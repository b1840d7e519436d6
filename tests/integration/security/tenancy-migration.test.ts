import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';

// An installation from before ownership, upgraded: its stores are written here with the schemas
// of that time, then a real orchestrator opens them. The old key still works but is a plain key
// (no key becomes an admin by itself); the old thread belongs to no one, so only an admin key sees
// it, until `atolye keys adopt` gives it to the old key.

const LEGACY_KEY = `atk_${'L'.repeat(43)}`;
const LEGACY_THREAD = 'thread-from-before';

let root: ReturnType<typeof tempDir>;
let host: Server;
let api: TestApi;
let dataDir: string;

/** The stores as the release before ownership left them (api_keys v1, orchestrator v2). */
function writeLegacyStores(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const keys = new Database(path.join(dir, 'api-keys.sqlite'));
  keys.exec(`CREATE TABLE api_keys (
      id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, prefix TEXT NOT NULL,
      hash BLOB NOT NULL, created_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT);
    CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
    CREATE INDEX api_keys_prefix ON api_keys (prefix);`);
  keys.pragma('user_version = 1');
  keys
    .prepare(`INSERT INTO api_keys (name, prefix, hash, created_at) VALUES (?, ?, ?, ?)`)
    .run(
      'legacy',
      LEGACY_KEY.slice(0, 12),
      createHash('sha256').update(LEGACY_KEY).digest(),
      '2026-01-01T00:00:00.000Z',
    );
  keys.close();

  const runs = new Database(path.join(dir, 'orchestrator.sqlite'));
  runs.exec(`CREATE TABLE threads (
      thread_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE runs (
      run_id TEXT PRIMARY KEY, thread_id TEXT NOT NULL REFERENCES threads (thread_id),
      seq INTEGER NOT NULL, task TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN
        ('pending', 'running', 'success', 'error', 'timeout', 'interrupted')),
      stop_reason TEXT, error_code TEXT, error_message TEXT, summary TEXT,
      input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd REAL NOT NULL DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0,
      usage_offset INTEGER NOT NULL DEFAULT 0, start_checkpoint TEXT,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE INDEX runs_thread ON runs (thread_id, seq);
    CREATE INDEX runs_status ON runs (status);
    ALTER TABLE threads ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE runs ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE runs ADD COLUMN multitask_strategy TEXT NOT NULL DEFAULT 'reject';
    ALTER TABLE runs ADD COLUMN webhook TEXT;
    CREATE TABLE run_events (
      run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
      event TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;`);
  runs.pragma('user_version = 2');
  runs
    .prepare(
      `INSERT INTO threads (thread_id, metadata, created_at, updated_at) VALUES (?, ?, ?, ?)`,
    )
    .run(
      LEGACY_THREAD,
      '{"from":"before"}',
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    );
  runs
    .prepare(
      `INSERT INTO runs (run_id, thread_id, seq, task, status, created_at, updated_at)
       VALUES (?, ?, 1, ?, 'success', ?, ?)`,
    )
    .run(
      'run-from-before',
      LEGACY_THREAD,
      'old task',
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    );
  runs.close();
}

beforeAll(async () => {
  root = tempDir('atolye-tenancy-migration-');
  dataDir = path.join(root.dir, 'main', 'api-data');
  writeLegacyStores(dataDir);
  host = createServer((_request, response) => response.writeHead(503).end());
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const address = host.address() as { port: number };
  api = await startTestApi(path.join(root.dir, 'main'), {
    url: `http://127.0.0.1:${address.port}`,
  } as Parameters<typeof startTestApi>[1]);
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await new Promise((resolve) => host?.close(resolve));
  root?.cleanup();
});

function get(key: string, route: string): Promise<Response> {
  return fetch(`${api.url}${route}`, { headers: { 'x-api-key': key } });
}

async function searched(key: string): Promise<string[]> {
  const response = await fetch(`${api.url}/threads/search`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: '{"limit": 100}',
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { thread_id: string }[]).map((t) => t.thread_id);
}

const atolye = (...args: string[]): Promise<CliResult> =>
  runCli(['--set', `storage.dataDir=${dataDir}`, ...args]);

test('the old key is a plain key, and the old thread is shown to admin keys only', async () => {
  const me = await get(LEGACY_KEY, '/dashboard/api/me');
  expect(me.status).toBe(200);
  expect(await me.json()).toEqual({ name: 'legacy', team: null, admin: false });
  expect((await get(LEGACY_KEY, '/dashboard/api/system')).status).toBe(403);

  expect((await get(LEGACY_KEY, `/threads/${LEGACY_THREAD}`)).status).toBe(404);
  expect(await searched(LEGACY_KEY)).not.toContain(LEGACY_THREAD);
  expect(await searched(api.key)).not.toContain(LEGACY_THREAD);

  const admin = await get(api.adminKey, `/threads/${LEGACY_THREAD}`);
  expect(admin.status).toBe(200);
  expect(((await admin.json()) as { metadata: unknown }).metadata).toEqual({ from: 'before' });
  expect(await searched(api.adminKey)).toContain(LEGACY_THREAD);
  const runs = (await (await get(api.adminKey, `/threads/${LEGACY_THREAD}/runs`)).json()) as {
    run_id: string;
  }[];
  expect(runs.map((run) => run.run_id)).toEqual(['run-from-before']);
});

test('keys list names the unowned threads; keys adopt gives them to the old key at once', async () => {
  const listed = await atolye('keys', 'list');
  expect(listed.stdout).toMatch(/^legacy\s+-\s+user\s/m);
  expect(listed.stdout).toContain('1 thread(s) from before keys had owners');

  const adopted = await atolye('keys', 'adopt', 'legacy');
  expect(adopted.code).toBe(0);
  expect(adopted.stdout).toContain('gave 1 thread(s) without an owner to key "legacy"');

  // The running orchestrator reads the owner from its store on each request: no restart.
  expect((await get(LEGACY_KEY, `/threads/${LEGACY_THREAD}`)).status).toBe(200);
  expect(await searched(LEGACY_KEY)).toContain(LEGACY_THREAD);
  expect((await get(api.key, `/threads/${LEGACY_THREAD}`)).status).toBe(404);
  expect((await atolye('keys', 'list')).stdout).not.toContain('before keys had owners');
});
