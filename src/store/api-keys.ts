import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import * as z from 'zod';
import { AtolyeError, errorCodeOf } from '../errors.js';
import { openSqlite, sql, type Database, type Migrations } from './database.js';

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

const SQLITE = [
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

const POSTGRES = [
  `CREATE TABLE api_keys (
     id SERIAL PRIMARY KEY,
     name TEXT NOT NULL,
     team TEXT,
     admin INTEGER NOT NULL DEFAULT 0,
     prefix TEXT NOT NULL,
     hash BYTEA NOT NULL,
     created_at TEXT NOT NULL,
     last_used_at TEXT,
     revoked_at TEXT
   );
   CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
   CREATE INDEX api_keys_prefix ON api_keys (prefix);`,
];

export const API_KEY_MIGRATIONS: Migrations = { sqlite: SQLITE, postgres: POSTGRES };

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

/**
 * API keys for the public run API, hashed at rest (SHA-256); only a short prefix is kept readable.
 * Every read goes to the store (no cache), so a key revoked through any orchestrator, or by
 * `atolye keys revoke`, stops everywhere at its next check.
 */
export class ApiKeyStore {
  private readonly touchIntervalMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly database: Database,
    options: ApiKeyStoreOptions = {},
  ) {
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.now = options.now ?? (() => new Date());
  }

  /** The store in a SQLite file (one machine), its schema brought up to date. */
  static inFile(file: string, options: ApiKeyStoreOptions = {}): ApiKeyStore {
    return new ApiKeyStore(openSqlite(file, API_KEY_MIGRATIONS), options);
  }

  /** Issues a new key named `name` and returns it in plaintext, the only time it is available. */
  async create(name: string, options: CreateKeyOptions = {}): Promise<CreatedApiKey> {
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
      const row = await this.database.first<{ id: number }>(
        sql`INSERT INTO api_keys (name, team, admin, prefix, hash, created_at)
            VALUES (${name}, ${team}, ${admin ? 1 : 0}, ${prefix}, ${hashKey(key)},
                    ${this.now().toISOString()})
            RETURNING id`,
      );
      return { id: Number(row?.id), name, team, admin, prefix, key };
    } catch (error) {
      // SQLite's and Postgres's words for a unique index refusing the row.
      if (['SQLITE_CONSTRAINT_UNIQUE', '23505'].includes(String(errorCodeOf(error)))) {
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
  async verify(key: string): Promise<ApiKeyIdentity | undefined> {
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) return undefined;
    const hash = hashKey(key);
    // The prefix narrows the search; the hash comparison, in constant time, decides.
    const candidates = await this.database.all<Candidate>(
      sql`SELECT id, name, team, admin, hash, last_used_at FROM api_keys
          WHERE prefix = ${key.slice(0, PREFIX_LENGTH)} AND revoked_at IS NULL`,
    );
    const match = candidates.find((row) => timingSafeEqual(Buffer.from(row.hash), hash));
    if (!match) return undefined;
    await this.touch(match);
    return { id: match.id, name: match.name, team: match.team, admin: match.admin === 1 };
  }

  /** Whether the key `id` is still live. */
  async isLive(id: number): Promise<boolean> {
    const row = await this.database.first(
      sql`SELECT id FROM api_keys WHERE id = ${id} AND revoked_at IS NULL`,
    );
    return row !== undefined;
  }

  /** The names of the keys, live or revoked, that have belonged to `team`. */
  async teamMembers(team: string): Promise<string[]> {
    const rows = await this.database.all<{ name: string }>(
      sql`SELECT DISTINCT name FROM api_keys WHERE team = ${team} ORDER BY name`,
    );
    return rows.map((row) => row.name);
  }

  /** Every key ever issued, revoked ones included, oldest first; never the keys themselves. */
  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.database.all<Row>(
      sql`SELECT id, name, team, admin, prefix, created_at, last_used_at, revoked_at
          FROM api_keys ORDER BY id`,
    );
    return rows.map((row) => ({
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
  async revoke(name: string): Promise<boolean> {
    const changed = await this.database.run(
      sql`UPDATE api_keys SET revoked_at = ${this.now().toISOString()}
          WHERE name = ${name} AND revoked_at IS NULL`,
    );
    return changed > 0;
  }

  close(): Promise<void> {
    return this.database.close();
  }

  /** Writes last_used_at only when it is stale, so verifying a busy key is mostly a read. */
  private async touch(row: Candidate): Promise<void> {
    const now = this.now();
    const last =
      row.last_used_at === null ? Number.NEGATIVE_INFINITY : Date.parse(row.last_used_at);
    if (now.getTime() - last >= this.touchIntervalMs) {
      await this.database.run(
        sql`UPDATE api_keys SET last_used_at = ${now.toISOString()} WHERE id = ${row.id}`,
      );
    }
  }
}

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
