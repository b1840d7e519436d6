import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AtolyeError } from '../../../src/errors.js';
import { ApiKeyStore, apiKeysFile } from '../../../src/store/api-keys.js';
import { tempDir } from '../../helpers/tmp.js';

describe('ApiKeyStore (SQLite file)', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('atolye-keys-'));
    file = apiKeysFile(dir);
  });
  afterEach(() => cleanup());

  function codeOf(run: () => unknown): string | undefined {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(AtolyeError);
      return (error as AtolyeError).code;
    }
    return undefined;
  }

  it('lives in api-keys.sqlite under the data directory', () => {
    expect(file).toBe(path.join(dir, 'api-keys.sqlite'));
  });

  it('creates a key in the atk_ + base64url format and verifies it across reopening', () => {
    const store = ApiKeyStore.inFile(file);
    const created = store.create('ci');
    expect(created.key).toMatch(/^atk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.key.slice(4), 'base64url')).toHaveLength(32);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.prefix).toHaveLength(12);
    store.close();

    const reopened = ApiKeyStore.inFile(file);
    expect(reopened.verify(created.key)).toEqual({
      id: created.id,
      name: 'ci',
      team: null,
      admin: false,
    });
    reopened.close();
  });

  it('keeps only a SHA-256 hash and the prefix at rest, never the key', () => {
    const store = ApiKeyStore.inFile(file);
    const { key, prefix } = store.create('ci');
    store.close();

    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare('SELECT * FROM api_keys').all() as Record<string, unknown>[];
    raw.close();
    expect(rows).toHaveLength(1);
    const row = rows[0] as { hash: Buffer; prefix: string };
    expect(row.prefix).toBe(prefix);
    expect(row.hash.equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(key.slice(prefix.length));
    // Not in the WAL or the main file either.
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

  it('issues a different key every time', () => {
    const store = ApiKeyStore.inFile(file);
    const a = store.create('a');
    const b = store.create('b');
    expect(a.key).not.toBe(b.key);
    expect(store.verify(a.key)?.name).toBe('a');
    expect(store.verify(b.key)?.name).toBe('b');
    store.close();
  });

  it('refuses a duplicate name with KEY_EXISTS and odd names with KEY_NAME_INVALID', () => {
    const store = ApiKeyStore.inFile(file);
    store.create('deploy.bot_1-x');
    expect(codeOf(() => store.create('deploy.bot_1-x'))).toBe('KEY_EXISTS');
    for (const bad of ['', ' ', 'has space', 'ümlaut', 'a/b', 'x'.repeat(65), 'semi;colon']) {
      expect(codeOf(() => store.create(bad))).toBe('KEY_NAME_INVALID');
    }
    expect(codeOf(() => store.create('x'.repeat(64)))).toBeUndefined();
    expect(store.list().map((k) => k.name)).toEqual(['deploy.bot_1-x', 'x'.repeat(64)]);
    store.close();
  });

  it('rejects unknown, malformed and tampered keys', () => {
    const store = ApiKeyStore.inFile(file);
    const { key } = store.create('ci');
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
      expect(store.verify(wrong)).toBeUndefined();
    }
    expect(store.verify(undefined as unknown as string)).toBeUndefined();
    store.close();
  });

  it('revokes by name: the key stops verifying, stays listed, and the name can be reissued', () => {
    let clock = new Date('2030-01-01T00:00:00.000Z');
    const store = ApiKeyStore.inFile(file, { now: () => clock });
    const first = store.create('ci');
    clock = new Date('2030-01-02T00:00:00.000Z');
    expect(store.revoke('ci')).toBe(true);
    expect(store.verify(first.key)).toBeUndefined();
    expect(store.revoke('ci')).toBe(false);
    expect(store.revoke('nobody')).toBe(false);

    const second = store.create('ci');
    expect(second.id).not.toBe(first.id);
    expect(store.verify(second.key)).toEqual({
      id: second.id,
      name: 'ci',
      team: null,
      admin: false,
    });
    expect(store.verify(first.key)).toBeUndefined();
    expect(store.list()).toEqual([
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
    store.close();
  });

  it('records last use, writing it at most once per interval', () => {
    let clock = new Date('2030-01-01T00:00:00.000Z');
    const store = ApiKeyStore.inFile(file, { now: () => clock, touchIntervalMs: 60_000 });
    const { key } = store.create('ci');
    expect(store.list()[0]?.lastUsedAt).toBeNull();

    store.verify(key);
    expect(store.list()[0]?.lastUsedAt).toBe('2030-01-01T00:00:00.000Z');
    clock = new Date('2030-01-01T00:00:30.000Z');
    store.verify(key);
    expect(store.list()[0]?.lastUsedAt).toBe('2030-01-01T00:00:00.000Z');
    clock = new Date('2030-01-01T00:01:00.000Z');
    store.verify(key);
    expect(store.list()[0]?.lastUsedAt).toBe('2030-01-01T00:01:00.000Z');
    store.close();
  });

  it("keeps a key's team and role; refuses a bad team name with KEY_TEAM_INVALID", () => {
    const store = ApiKeyStore.inFile(file);
    const member = store.create('alice', { team: 'backend' });
    const admin = store.create('ops', { admin: true });
    expect(member).toMatchObject({ team: 'backend', admin: false });
    expect(store.verify(member.key)).toEqual({
      id: member.id,
      name: 'alice',
      team: 'backend',
      admin: false,
    });
    expect(store.verify(admin.key)).toEqual({ id: admin.id, name: 'ops', team: null, admin: true });
    store.create('bob', { team: 'backend' });
    expect(store.teamMembers('backend')).toEqual(['alice', 'bob']);
    expect(store.teamMembers('nobody')).toEqual([]);
    for (const bad of ['', 'has space', 'a/b', 'x'.repeat(65)]) {
      expect(codeOf(() => store.create('carol', { team: bad }))).toBe('KEY_TEAM_INVALID');
    }
    store.close();
  });

  it('isLive reads the file each time: a revocation by another connection counts at once', () => {
    const server = ApiKeyStore.inFile(file);
    const cli = ApiKeyStore.inFile(file);
    const { id, key } = server.create('ci');
    expect(server.isLive(id)).toBe(true);
    expect(cli.revoke('ci')).toBe(true);
    expect(server.isLive(id)).toBe(false);
    expect(server.verify(key)).toBeUndefined();
    expect(server.isLive(id + 100)).toBe(false);
    server.close();
    cli.close();
  });

  it('migrates a store from before teams and roles: its keys work, in no team, not admin', () => {
    const old = new Database(file);
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
    expect(store.verify(key)).toEqual({ id: 1, name: 'legacy', team: null, admin: false });
    expect(store.list()[0]).toMatchObject({ name: 'legacy', team: null, admin: false });
    store.close();
  });

  it('enforces unique names across two connections to the same file', () => {
    const a = ApiKeyStore.inFile(file);
    const b = ApiKeyStore.inFile(file);
    a.create('shared');
    expect(codeOf(() => b.create('shared'))).toBe('KEY_EXISTS');
    a.close();
    b.close();
  });
});
