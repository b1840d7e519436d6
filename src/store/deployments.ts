import type { SqliteDatabase } from './sqlite.js';
import { openDatabase } from './sqlite.js';

export type DeploymentStatus = 'active' | 'superseded' | 'failed';

export interface DeploymentRecord {
  id: number;
  version: string;
  manifest: unknown;
  createdAt: string;
  status: DeploymentStatus;
  message: string;
}

const MIGRATIONS = [
  `CREATE TABLE deployments (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     version TEXT NOT NULL,
     manifest TEXT NOT NULL,
     created_at TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('active', 'superseded', 'failed')),
     message TEXT NOT NULL DEFAULT ''
   );
   CREATE INDEX deployments_status ON deployments (status);`,
];

interface Row {
  id: number;
  version: string;
  manifest: string;
  created_at: string;
  status: DeploymentStatus;
  message: string;
}

/** The host's deployment history; the active row is what a restarted host brings back. */
export class DeploymentStore {
  private readonly db: SqliteDatabase;

  constructor(file: string) {
    this.db = openDatabase(file, MIGRATIONS);
  }

  /** Records a deployment that went live, superseding the one before it, atomically. */
  activate(version: string, manifest: unknown, message = ''): DeploymentRecord {
    const insert = this.db.transaction(() => {
      this.db.prepare(`UPDATE deployments SET status = 'superseded' WHERE status = 'active'`).run();
      const result = this.db
        .prepare(
          `INSERT INTO deployments (version, manifest, created_at, status, message)
           VALUES (?, ?, ?, 'active', ?)`,
        )
        .run(version, JSON.stringify(manifest), new Date().toISOString(), message);
      return Number(result.lastInsertRowid);
    });
    return this.get(insert()) as DeploymentRecord;
  }

  /** Keeps a failed attempt in the history without touching the active deployment. */
  recordFailure(version: string, manifest: unknown, message: string): DeploymentRecord {
    const result = this.db
      .prepare(
        `INSERT INTO deployments (version, manifest, created_at, status, message)
         VALUES (?, ?, ?, 'failed', ?)`,
      )
      .run(version, JSON.stringify(manifest), new Date().toISOString(), message);
    return this.get(Number(result.lastInsertRowid)) as DeploymentRecord;
  }

  active(): DeploymentRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM deployments WHERE status = 'active'`).get() as
      Row | undefined;
    return row && toRecord(row);
  }

  /** The deployment that was live before the active one, the target of a rollback. */
  previous(): DeploymentRecord | undefined {
    const active = this.active();
    const row = this.db
      .prepare(
        `SELECT * FROM deployments WHERE status = 'superseded' AND id < ? AND version <> ?
         ORDER BY id DESC LIMIT 1`,
      )
      .get(active?.id ?? Number.MAX_SAFE_INTEGER, active?.version ?? '') as Row | undefined;
    return row && toRecord(row);
  }

  get(id: number): DeploymentRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM deployments WHERE id = ?`).get(id) as
      Row | undefined;
    return row && toRecord(row);
  }

  history(limit = 20): DeploymentRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM deployments ORDER BY id DESC LIMIT ?`)
      .all(limit) as Row[];
    return rows.map(toRecord);
  }

  close(): void {
    this.db.close();
  }
}

function toRecord(row: Row): DeploymentRecord {
  return {
    id: row.id,
    version: row.version,
    manifest: JSON.parse(row.manifest) as unknown,
    createdAt: row.created_at,
    status: row.status,
    message: row.message,
  };
}
