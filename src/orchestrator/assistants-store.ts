import { sql, type Database } from '../store/database.js';
import { forUpdate, type Metadata, type RunsStore, type ThreadScope } from './runs-store.js';
import { inScope, metadataMatches } from './sql-filters.js';

/**
 * Assistant variants: the agent's graph with some of its run settings fixed (`configurable`),
 * kept in the orchestrator's store (its table is one of the runs store's migrations). The
 * built-in assistant is not stored; api/assistant-catalog.ts adds it. A variant belongs to its
 * creator's key or team, as a thread does (see api/access.ts).
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
  constructor(readonly database: Database) {}

  /** Stores a new variant; undefined when the id is taken already (by anyone). */
  async create(assistant: NewAssistant): Promise<AssistantRecord | undefined> {
    const now = new Date().toISOString();
    const changed = await this.database.run(
      sql`INSERT INTO assistants (assistant_id, graph_id, name, description, configurable,
                                  metadata, owner, created_at, updated_at)
          VALUES (${assistant.assistantId}, ${assistant.graphId}, ${assistant.name},
                  ${assistant.description}, ${JSON.stringify(assistant.configurable)},
                  ${JSON.stringify(assistant.metadata)}, ${assistant.owner}, ${now}, ${now})
          ON CONFLICT (assistant_id) DO NOTHING`,
    );
    return changed === 1 ? this.get(assistant.assistantId, { all: true }) : undefined;
  }

  /** The variant, if it exists and is in `scope`. */
  get(assistantId: string, scope: ThreadScope): Promise<AssistantRecord | undefined> {
    return readOne(this.database, assistantId, scope);
  }

  /** The variants in `scope` that match, oldest first. */
  async search(scope: ThreadScope, query: AssistantQuery): Promise<AssistantRecord[]> {
    const conditions = [
      inScope('a', scope),
      metadataMatches(this.database.kind, 'a.metadata', query.metadata),
    ];
    if (query.graphId !== undefined) conditions.push(sql`a.graph_id = ${query.graphId}`);
    if (query.name !== undefined) conditions.push(nameContains(this.database, query.name));
    const rows = await this.database.all<Row>(
      sql`SELECT * FROM assistants a WHERE ${sql.join(conditions, sql` AND `)}
          ORDER BY a.created_at, a.assistant_id`,
    );
    return rows.map(toRecord);
  }

  /** Applies `changes` as a new version; undefined for an unknown id. */
  update(assistantId: string, changes: AssistantChanges): Promise<AssistantRecord | undefined> {
    return this.database.transaction(async (tx) => {
      const current = await readOne(tx, assistantId, { all: true }, forUpdate(tx));
      if (!current) return undefined;
      await tx.run(
        sql`UPDATE assistants SET name = ${changes.name ?? current.name},
              description = ${changes.description === undefined ? current.description : changes.description},
              configurable = ${JSON.stringify(changes.configurable ?? current.configurable)},
              metadata = ${JSON.stringify({ ...current.metadata, ...changes.metadata })},
              version = version + 1, updated_at = ${new Date().toISOString()}
            WHERE assistant_id = ${assistantId}`,
      );
      return readOne(tx, assistantId, { all: true });
    });
  }

  async delete(assistantId: string): Promise<boolean> {
    return (
      (await this.database.run(sql`DELETE FROM assistants WHERE assistant_id = ${assistantId}`)) ===
      1
    );
  }
}

const stores = new WeakMap<Database, AssistantsStore>();

/** The assistants kept in the runs store's database. */
export function assistantsOf(store: RunsStore): AssistantsStore {
  let assistants = stores.get(store.database);
  if (!assistants) {
    assistants = new AssistantsStore(store.database);
    stores.set(store.database, assistants);
  }
  return assistants;
}

async function readOne(
  database: Database,
  assistantId: string,
  scope: ThreadScope,
  lock = sql.raw(''),
): Promise<AssistantRecord | undefined> {
  const row = await database.first<Row>(
    sql`SELECT * FROM assistants a WHERE a.assistant_id = ${assistantId} AND ${inScope('a', scope)}
        ${lock}`,
  );
  return row && toRecord(row);
}

/** `part` occurs in the name, ignoring case. */
function nameContains(database: Database, part: string) {
  return database.kind === 'postgres'
    ? sql`position(lower(${part}::text) in lower(a.name)) > 0`
    : sql`instr(lower(a.name), lower(${part})) > 0`;
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
