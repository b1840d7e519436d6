import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type Database from 'better-sqlite3';
import * as z from 'zod';
import { AtolyeError, errorCodeOf } from '../errors.js';
import type { SqliteDatabase } from './sqlite.js';
import { openDatabase } from './sqlite.js';

/** A key's name: what a person calls it in `atolye keys …` and what logs and rate limits show. */
export const ApiKeyName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1 to 64 letters, digits, ".", "_" or "-"');

/** A team's name: keys of one team share the threads any of them creates. */
export const TeamName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1 to 64 letters, digits, ".", "_" or "-"');

/** What may be shown about a key at any time; the key itself is shown once, by create(). */
export const ApiKeyInfo = z.object({
  id: z.number().int(),
  name: z.string(),
  team: z.string().nullable(),
  /** An admin key sees every thread and the host's own pages (system health, every log line). */
  admin: z.boolean(),
  /** The key's first characters, enough to recognise it, far too few to guess the rest. */
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

export interface CreatedApiKey {
  id: number;
  name: string;
  team: string | null;
  admin: boolean;
  prefix: string;
  /** The plaintext key. Only its hash is stored: this is the one chance to see it. */
  key: string;
}

/** Who a verified key is: what ownership and the admin checks of the run API go by. */
export interface ApiKeyIdentity {
  id: number;
  name: string;
  team: string | null;
  admin: boolean;
}

export interface CreateKeyOptions {
  /** The team the key joins: threads it creates belong to the team. */
  team?: string;
  admin?: boolean;
}

export interface ApiKeyStoreOptions {
  /** A successful verify() writes last_used_at at most this often per key (default one minute). */
  touchIntervalMs?: number;
  now?: () => Date;
}

/** The store's file under `storage.dataDir` (already resolved to an absolute path). */
export function apiKeysFile(dataDir: string): string {
  return path.join(dataDir, 'api-keys.sqlite');
}

const KEY_TAG = 'atk_';
const KEY_PATTERN = /^atk_[A-Za-z0-9_-]{43}$/; // 32 random bytes in unpadded base64url
const PREFIX_LENGTH = KEY_TAG.length + 8;

const MIGRATIONS = [
  `CREATE TABLE api_keys (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     name TEXT NOT NULL,
     prefix TEXT NOT NULL,
     hash BLOB NOT NULL,
     created_at TEXT NOT NULL,
     last_used_at TEXT,
     revoked_at TEXT
   );
   -- A revoked key keeps its row for the record, so its name can be issued again.
   CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
   CREATE INDEX api_keys_prefix ON api_keys (prefix);`,
  // Keys from before teams and roles are plain members of no team: none gains access it lacked.
  `ALTER TABLE api_keys ADD COLUMN team TEXT;
   ALTER TABLE api_keys ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;`,
];

interface Row {
  id: number;
  name: string;
  team: string | null;
  admin: number;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface Candidate {
  id: number;
  name: string;
  team: string | null;
  admin: number;
  hash: Buffer;
  last_used_at: string | null;
}

/** API keys for the public run API, hashed at rest (SHA-256); only a short prefix is kept readable. */
export class ApiKeyStore {
  private readonly db: SqliteDatabase;
  private readonly touchIntervalMs: number;
  private readonly now: () => Date;
  private readonly statements: {
    insert: Database.Statement<[string, string | null, number, string, Buffer, string]>;
    candidates: Database.Statement<[string], Candidate>;
    live: Database.Statement<[number], { id: number }>;
    members: Database.Statement<[string], { name: string }>;
    touch: Database.Statement<[string, number]>;
    list: Database.Statement<[], Row>;
    revoke: Database.Statement<[string, string]>;
  };

  constructor(file: string, options: ApiKeyStoreOptions = {}) {
    this.db = openDatabase(file, MIGRATIONS);
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.now = options.now ?? (() => new Date());
    this.statements = {
      insert: this.db.prepare(
        `INSERT INTO api_keys (name, team, admin, prefix, hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      candidates: this.db.prepare(
        `SELECT id, name, team, admin, hash, last_used_at FROM api_keys
         WHERE prefix = ? AND revoked_at IS NULL`,
      ),
      live: this.db.prepare(`SELECT id FROM api_keys WHERE id = ? AND revoked_at IS NULL`),
      members: this.db.prepare(`SELECT DISTINCT name FROM api_keys WHERE team = ? ORDER BY name`),
      touch: this.db.prepare(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`),
      list: this.db.prepare(
        `SELECT id, name, team, admin, prefix, created_at, last_used_at, revoked_at
         FROM api_keys ORDER BY id`,
      ),
      revoke: this.db.prepare(
        `UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`,
      ),
    };
  }

  /** Issues a new key named `name` and returns it in plaintext, the only time it is available. */
  create(name: string, options: CreateKeyOptions = {}): CreatedApiKey {
    const parsed = ApiKeyName.safeParse(name);
    if (!parsed.success) {
      throw new AtolyeError(
        'KEY_NAME_INVALID',
        `API key name ${JSON.stringify(name)} is not valid: ${parsed.error.issues[0]?.message ?? 'bad name'}`,
      );
    }
    const team = options.team ?? null;
    if (team !== null) {
      const teamParsed = TeamName.safeParse(team);
      if (!teamParsed.success) {
        throw new AtolyeError(
          'KEY_TEAM_INVALID',
          `team name ${JSON.stringify(team)} is not valid: ${teamParsed.error.issues[0]?.message ?? 'bad name'}`,
        );
      }
    }
    const admin = options.admin ?? false;
    const key = KEY_TAG + randomBytes(32).toString('base64url');
    const prefix = key.slice(0, PREFIX_LENGTH);
    try {
      const result = this.statements.insert.run(
        name,
        team,
        admin ? 1 : 0,
        prefix,
        hashKey(key),
        this.now().toISOString(),
      );
      return { id: Number(result.lastInsertRowid), name, team, admin, prefix, key };
    } catch (error) {
      if (errorCodeOf(error) === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AtolyeError(
          'KEY_EXISTS',
          `an API key named "${name}" already exists; revoke it first or choose another name`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** The key's owner when `key` is a live key, otherwise undefined (never throws on bad input). */
  verify(key: string): ApiKeyIdentity | undefined {
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) return undefined;
    const hash = hashKey(key);
    // The prefix narrows the search; the hash comparison, in constant time, decides.
    const candidates = this.statements.candidates.all(key.slice(0, PREFIX_LENGTH));
    const match = candidates.find((row) => timingSafeEqual(row.hash, hash));
    if (!match) return undefined;
    this.touch(match);
    return { id: match.id, name: match.name, team: match.team, admin: match.admin === 1 };
  }

  /**
   * Whether the key `id` is still live. Read from the file on every call (no cache), so a key
   * revoked by `atolye keys revoke` in another process stops here at its next check.
   */
  isLive(id: number): boolean {
    return this.statements.live.get(id) !== undefined;
  }

  /** The names of the keys, live or revoked, that have belonged to `team`. */
  teamMembers(team: string): string[] {
    return this.statements.members.all(team).map((row) => row.name);
  }

  /** Every key ever issued, revoked ones included, oldest first; never the keys themselves. */
  list(): ApiKeyInfo[] {
    return this.statements.list.all().map((row) => ({
      id: row.id,
      name: row.name,
      team: row.team,
      admin: row.admin === 1,
      prefix: row.prefix,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      revokedAt: row.revoked_at,
    }));
  }

  /** Revokes the live key named `name`; false when there is none. */
  revoke(name: string): boolean {
    return this.statements.revoke.run(this.now().toISOString(), name).changes > 0;
  }

  close(): void {
    this.db.close();
  }

  /** Writes last_used_at only when it is stale, so verifying a busy key is mostly a read. */
  private touch(row: Candidate): void {
    const now = this.now();
    const last =
      row.last_used_at === null ? Number.NEGATIVE_INFINITY : Date.parse(row.last_used_at);
    if (now.getTime() - last >= this.touchIntervalMs) {
      this.statements.touch.run(now.toISOString(), row.id);
    }
  }
}

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
