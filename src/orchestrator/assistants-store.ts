import { metadataCondition } from './metadata-filter.js';
import {
  IN_SCOPE,
  scopeParams,
  type Metadata,
  type RunsStore,
  type ThreadScope,
} from './runs-store.js';
import type { SqliteDatabase } from '../store/sqlite.js';

/**
 * Assistant variants: the agent's graph with some of its run settings fixed (`configurable`),
 * kept in the orchestrator's store. The built-in assistant is not stored; api/assistants.ts adds
 * it. A variant belongs to its creator's key or team, as a thread does (see api/access.ts).
 */

export interface AssistantRecord {
  assistantId: string;
  graphId: string;
  name: string;
  description: string | null;
  /** What runs of this assistant start with in `config.configurable`. */
  configurable: Record<string, unknown>;
  metadata: Metadata;
  owner: string | null;
  /** 1 when created, one more with each change. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type NewAssistant = Omit<AssistantRecord, 'version' | 'createdAt' | 'updatedAt'>;

export interface AssistantChanges {
  name?: string;
  description?: string | null;
  configurable?: Record<string, unknown>;
  /** Merged into the metadata. */
  metadata?: Metadata;
}

export interface AssistantQuery {
  graphId?: string;
  /** A case-insensitive part of the name. */
  name?: string;
  metadata?: Metadata;
}

/**
 * The table keeps out of the runs store's numbered migrations (user_version of the same file):
 * it is created when missing, and a later change to it adds its own guarded step here.
 */
const SCHEMA = `CREATE TABLE IF NOT EXISTS assistants (
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

interface Row {
  assistant_id: string;
  graph_id: string;
  name: string;
  description: string | null;
  configurable: string;
  metadata: string;
  owner: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export class AssistantsStore {
  constructor(private readonly db: SqliteDatabase) {
    db.exec(SCHEMA);
  }

  /** Stores a new variant; undefined when the id is taken already (by anyone). */
  create(assistant: NewAssistant): AssistantRecord | undefined {
    const now = new Date().toISOString();
    const result = this.db
      .prepare(
        `INSERT INTO assistants (assistant_id, graph_id, name, description, configurable,
                                 metadata, owner, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (assistant_id) DO NOTHING`,
      )
      .run(
        assistant.assistantId,
        assistant.graphId,
        assistant.name,
        assistant.description,
        JSON.stringify(assistant.configurable),
        JSON.stringify(assistant.metadata),
        assistant.owner,
        now,
        now,
      );
    return result.changes === 1 ? this.get(assistant.assistantId, { all: true }) : undefined;
  }

  /** The variant, if it exists and is in `scope`. */
  get(assistantId: string, scope: ThreadScope): AssistantRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM assistants t WHERE t.assistant_id = @assistantId AND ${IN_SCOPE}`)
      .get({ assistantId, ...scopeParams(scope) }) as Row | undefined;
    return row && toRecord(row);
  }

  /** The variants in `scope` that match, oldest first. */
  search(scope: ThreadScope, query: AssistantQuery): AssistantRecord[] {
    const metadata = metadataCondition('t.metadata', query.metadata);
    const rows = this.db
      .prepare(
        `SELECT * FROM assistants t
         WHERE ${IN_SCOPE}
           AND (@graphId IS NULL OR t.graph_id = @graphId)
           AND (@name IS NULL OR instr(lower(t.name), lower(@name)) > 0)
           AND ${metadata.sql}
         ORDER BY t.created_at, t.assistant_id`,
      )
      .all({
        ...scopeParams(scope),
        ...metadata.params,
        graphId: query.graphId ?? null,
        name: query.name ?? null,
      }) as Row[];
    return rows.map(toRecord);
  }

  /** Applies `changes` as a new version; undefined for an unknown id. */
  update(assistantId: string, changes: AssistantChanges): AssistantRecord | undefined {
    return this.db.transaction(() => {
      const current = this.get(assistantId, { all: true });
      if (!current) return undefined;
      this.db
        .prepare(
          `UPDATE assistants SET name = ?, description = ?, configurable = ?, metadata = ?,
             version = version + 1, updated_at = ?
           WHERE assistant_id = ?`,
        )
        .run(
          changes.name ?? current.name,
          changes.description === undefined ? current.description : changes.description,
          JSON.stringify(changes.configurable ?? current.configurable),
          JSON.stringify({ ...current.metadata, ...changes.metadata }),
          new Date().toISOString(),
          assistantId,
        );
      return this.get(assistantId, { all: true });
    })();
  }

  delete(assistantId: string): boolean {
    return (
      this.db.prepare(`DELETE FROM assistants WHERE assistant_id = ?`).run(assistantId).changes ===
      1
    );
  }
}

const stores = new WeakMap<SqliteDatabase, AssistantsStore>();

/** The assistants kept in the runs store's database (its table made on first use). */
export function assistantsOf(store: RunsStore): AssistantsStore {
  let assistants = stores.get(store.db);
  if (!assistants) {
    assistants = new AssistantsStore(store.db);
    stores.set(store.db, assistants);
  }
  return assistants;
}

function toRecord(row: Row): AssistantRecord {
  return {
    assistantId: row.assistant_id,
    graphId: row.graph_id,
    name: row.name,
    description: row.description,
    configurable: JSON.parse(row.configurable) as Record<string, unknown>,
    metadata: JSON.parse(row.metadata) as Metadata,
    owner: row.owner,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
