import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { AtolyeError } from '../../../src/errors.js';
import {
  API_KEY_MIGRATIONS,
  ApiKeyStore,
  apiKeysFile,
  type ApiKeyStoreOptions,
} from '../../../src/store/api-keys.js';
import { openPostgres, sql, type Database } from '../../../src/store/database.js';
import { tempDir } from '../../helpers/tmp.js';
import { KINDS, useStoreDatabases } from '../orchestrator/store-databases.js';

// The API key store on a real SQLite file and a real Postgres database: the same keys, checks
// and records from both, and two instances on one database (two orchestrators, or one and
// `atolye keys`) see each other's keys and revocations at once.

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(AtolyeError);
    return (error as AtolyeError).code;
  }
  return undefined;
}

describe.each(KINDS)('ApiKeyStore on %s', (kind) => {
  const databases = useStoreDatabases(kind);
  let database: Database;

  beforeEach(async () => {
    database = await databases.open('api-keys', API_KEY_MIGRATIONS);
  });

  const open = (options: ApiKeyStoreOptions = {}): ApiKeyStore =>
    new ApiKeyStore(database, options);
  /** A second instance on the same database, through a connection (or pool) of its own. */
  const another = async (): Promise<ApiKeyStore> =>
    new ApiKeyStore(await databases.reopen(database));

  it('creates a key in the atk_ + base64url format that another instance verifies', async () => {
    const store = open();
    const created = await store.create('ci');
    expect(created.key).toMatch(/^atk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.key.slice(4), 'base64url')).toHaveLength(32);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.prefix).toHaveLength(12);
    await store.close();

    const reopened = await another();
    expect(await reopened.verify(created.key)).toEqual({
      id: created.id,
      name: 'ci',
      team: null,
      admin: false,
    });
  });

  it('keeps only a SHA-256 hash and the prefix at rest, never the key', async () => {
    const { key, prefix } = await open().create('ci');
    const rows = await database.all<Record<string, unknown>>(sql`SELECT * FROM api_keys`);
    expect(rows).toHaveLength(1);
    const row = rows[0] as { hash: Uint8Array; prefix: string };
    expect(row.prefix).toBe(prefix);
    expect(Buffer.from(row.hash).equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(key.slice(prefix.length));
  });

  it('issues a different key every time', async () => {
    const store = open();
    const a = await store.create('a');
    const b = await store.create('b');
    expect(a.key).not.toBe(b.key);
    expect((await store.verify(a.key))?.name).toBe('a');
    expect((await store.verify(b.key))?.name).toBe('b');
  });

  it('refuses a duplicate name with KEY_EXISTS and odd names with KEY_NAME_INVALID', async () => {
    const store = open();
    await store.create('deploy.bot_1-x');
    expect(await codeOf(() => store.create('deploy.bot_1-x'))).toBe('KEY_EXISTS');
    for (const bad of ['', ' ', 'has space', 'ümlaut', 'a/b', 'x'.repeat(65), 'semi;colon']) {
      expect(await codeOf(() => store.create(bad))).toBe('KEY_NAME_INVALID');
    }
    expect(await codeOf(() => store.create('x'.repeat(64)))).toBeUndefined();
    expect((await store.list()).map((k) => k.name)).toEqual(['deploy.bot_1-x', 'x'.repeat(64)]);
  });

  it('rejects unknown, malformed and tampered keys', async () => {
    const store = open();
    const { key } = await store.create('ci');
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    for (const wrong of [
      '',
      'atk_',
      key.slice(0, -1),
      `${key}x`,
      key.slice(0, -1) + last, // same prefix, different hash
      key.replace('atk_', 'atx_'),
      `Bearer ${key}`,
    ]) {
      expect(await store.verify(wrong)).toBeUndefined();
    }
    expect(await store.verify(undefined as unknown as string)).toBeUndefined();
  });

  it('revokes by name: the key stops verifying, stays listed, and the name can be reissued', async () => {
    let clock = new Date('2030-01-01T00:00:00.000Z');
    const store = open({ now: () => clock });
    const first = await store.create('ci');
    clock = new Date('2030-01-02T00:00:00.000Z');
    expect(await store.revoke('ci')).toBe(true);
    expect(await store.verify(first.key)).toBeUndefined();
    expect(await store.revoke('ci')).toBe(false);
    expect(await store.revoke('nobody')).toBe(false);

    const second = await store.create('ci');
    expect(second.id).not.toBe(first.id);
    expect(await store.verify(second.key)).toEqual({
      id: second.id,
      name: 'ci',
      team: null,
      admin: false,
    });
    expect(await store.verify(first.key)).toBeUndefined();
    expect(await store.list()).toEqual([
      {
        id: first.id,
        name: 'ci',
        team: null,
        admin: false,
        prefix: first.prefix,
        createdAt: '2030-01-01T00:00:00.000Z',
        lastUsedAt: null,
        revokedAt: '2030-01-02T00:00:00.000Z',
      },
      {
        id: second.id,
        name: 'ci',
        team: null,
        admin: false,
        prefix: second.prefix,
        createdAt: '2030-01-02T00:00:00.000Z',
        lastUsedAt: '2030-01-02T00:00:00.000Z',
        revokedAt: null,
      },
    ]);
  });

  it('records last use, writing it at most once per interval', async () => {
    let clock = new Date('2030-01-01T00:00:00.000Z');
    const store = open({ now: () => clock, touchIntervalMs: 60_000 });
    const { key } = await store.create('ci');
    const lastUsed = async () => (await store.list())[0]?.lastUsedAt;
    expect(await lastUsed()).toBeNull();

    await store.verify(key);
    expect(await lastUsed()).toBe('2030-01-01T00:00:00.000Z');
    clock = new Date('2030-01-01T00:00:30.000Z');
    await store.verify(key);
    expect(await lastUsed()).toBe('2030-01-01T00:00:00.000Z');
    clock = new Date('2030-01-01T00:01:00.000Z');
    await store.verify(key);
    expect(await lastUsed()).toBe('2030-01-01T00:01:00.000Z');
  });

  it("keeps a key's team and role; refuses a bad team name with KEY_TEAM_INVALID", async () => {
    const store = open();
    const member = await store.create('alice', { team: 'backend' });
    const admin = await store.create('ops', { admin: true });
    expect(member).toMatchObject({ team: 'backend', admin: false });
    expect(await store.verify(member.key)).toEqual({
      id: member.id,
      name: 'alice',
      team: 'backend',
      admin: false,
    });
    expect(await store.verify(admin.key)).toEqual({
      id: admin.id,
      name: 'ops',
      team: null,
      admin: true,
    });
    await store.create('bob', { team: 'backend' });
    expect(await store.teamMembers('backend')).toEqual(['alice', 'bob']);
    expect(await store.teamMembers('nobody')).toEqual([]);
    for (const bad of ['', 'has space', 'a/b', 'x'.repeat(65)]) {
      expect(await codeOf(() => store.create('carol', { team: bad }))).toBe('KEY_TEAM_INVALID');
    }
  });

  it('a key made through one instance verifies through another; revoked there, isLive is false here at once', async () => {
    // Two orchestrators on one database (on Postgres, each with its own pool), or one and the CLI.
    const first = open();
    const second = await another();
    const { id, key } = await first.create('ci', { team: 'backend' });
    expect(await second.verify(key)).toEqual({ id, name: 'ci', team: 'backend', admin: false });
    expect(await first.isLive(id)).toBe(true);

    expect(await second.revoke('ci')).toBe(true);
    expect(await first.isLive(id)).toBe(false);
    expect(await first.verify(key)).toBeUndefined();
    expect(await second.verify(key)).toBeUndefined();
    expect(await first.isLive(id + 100)).toBe(false);
  });

  it('enforces unique names across two instances on one database', async () => {
    const second = await another();
    await open().create('shared');
    expect(await codeOf(() => second.create('shared'))).toBe('KEY_EXISTS');
  });

  if (kind === 'postgres') {
    it('orchestrators that start together on one database create the schema once', async () => {
      const postgres = databases.postgres();
      if (!postgres) throw new Error('the Postgres block has no cluster');
      const url = await postgres.createDatabase('api_keys_together');
      const [a, b] = await Promise.all([
        openPostgres(databases.pool(url), 'api-keys', API_KEY_MIGRATIONS),
        openPostgres(databases.pool(url), 'api-keys', API_KEY_MIGRATIONS),
      ]);
      const { key } = await new ApiKeyStore(a).create('ci');
      expect((await new ApiKeyStore(b).verify(key))?.name).toBe('ci');
      expect(
        await postgres.query('api_keys_together', 'SELECT store, version FROM atolye_schema'),
      ).toEqual([{ store: 'api-keys', version: API_KEY_MIGRATIONS.postgres.length }]);
    });
  }
});

describe('ApiKeyStore in a SQLite file', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('atolye-keys-'));
    file = apiKeysFile(dir);
  });
  afterEach(() => cleanup());

  it('lives in api-keys.sqlite under the data directory', () => {
    expect(file).toBe(path.join(dir, 'api-keys.sqlite'));
  });

  it('creates a key that verifies after the file is reopened', async () => {
    const store = ApiKeyStore.inFile(file);
    const created = await store.create('ci');
    await store.close();

    const reopened = ApiKeyStore.inFile(file);
    expect(await reopened.verify(created.key)).toEqual({
      id: created.id,
      name: 'ci',
      team: null,
      admin: false,
    });
    await reopened.close();
  });

  it('writes the key to neither the main file nor the WAL', async () => {
    const store = ApiKeyStore.inFile(file);
    const { key } = await store.create('ci');
    await store.close();
    for (const name of [file, `${file}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(name);
      } catch {
        continue;
      }
      expect(bytes.includes(Buffer.from(key))).toBe(false);
    }
  });

  it('migrates a store from before teams and roles: its keys work, in no team, not admin', async () => {
    const old = new Sqlite(file);
    old.exec(`CREATE TABLE api_keys (
      id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, prefix TEXT NOT NULL,
      hash BLOB NOT NULL, created_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT);
      CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
      CREATE INDEX api_keys_prefix ON api_keys (prefix);`);
    old.pragma('user_version = 1');
    const key = `atk_${'A'.repeat(43)}`;
    old
      .prepare(`INSERT INTO api_keys (name, prefix, hash, created_at) VALUES (?, ?, ?, ?)`)
      .run('legacy', key.slice(0, 12), createHash('sha256').update(key).digest(), '2030-01-01');
    old.close();

    const store = ApiKeyStore.inFile(file);
    expect(await store.verify(key)).toEqual({ id: 1, name: 'legacy', team: null, admin: false });
    expect((await store.list())[0]).toMatchObject({ name: 'legacy', team: null, admin: false });
    await store.close();
  });
});
