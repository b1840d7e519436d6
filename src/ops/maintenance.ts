import { existsSync, lstatSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AtolyeError, errorMessage } from '../errors.js';
import { isPlainSegment, listDir, storeFiles, type OpsLayout } from './layout.js';
import { GIT_DIRS, gitWorkspace } from '../workspace/git.js';

export interface MaintenanceOptions {
  layout: OpsLayout;
  /** Threads, checkpoints and workspaces untouched for longer than this go (default 30). */
  olderThanDays?: number;
  /** Prune and vacuum; without it nothing changes. */
  apply?: boolean;
  now?: () => Date;
}

export interface PrunedThread {
  threadId: string;
  updatedAt: string;
  runs: number;
  runEvents: number;
  checkpoints: number;
  writes: number;
  workspace: boolean;
}

export interface StoreSize {
  name: string;
  bytes: number;
  /** After VACUUM, when applied. */
  bytesAfter?: number;
}

export interface MaintenanceReport {
  applied: boolean;
  olderThanDays: number;
  cutoff: string;
  threads: PrunedThread[];
  /** Old threads kept because a run of theirs is pending or running. */
  keptActive: string[];
  /** Workspace folders of no known thread, unchanged since the cutoff. */
  orphanWorkspaces: string[];
  stores: StoreSize[];
  logs: { dir: string; files: number; bytes: number };
}

export const DEFAULT_OLDER_THAN_DAYS = 30;
const ACTIVE = `status IN ('pending', 'running')`;

/**
 * Prunes old threads (runs, run events, LangGraph checkpoints and writes, workspace), removes old
 * workspaces of no thread, vacuums every store and measures the log directory. A thread's age is
 * its updated_at; one with a pending or running run is never pruned. Without `apply` it only
 * reports what would go, opening the stores read-only.
 */
export function runMaintenance(options: MaintenanceOptions): MaintenanceReport {
  const { layout } = options;
  const apply = options.apply === true;
  const olderThanDays = options.olderThanDays ?? DEFAULT_OLDER_THAN_DAYS;
  const now = (options.now ?? (() => new Date()))();
  const cutoff = new Date(now.getTime() - olderThanDays * 86_400_000).toISOString();

  const runsFile = path.join(layout.dataDir, 'orchestrator.sqlite');
  const checkpointsFile = path.join(layout.dataDir, 'checkpoints.sqlite');
  const selected = withStore(runsFile, apply, (db) => pruneThreads(db, cutoff, apply));
  const threads = selected?.threads ?? [];
  const known = selected?.known ?? new Set<string>();
  const ids = threads.map((thread) => thread.threadId);
  const counts = withStore(checkpointsFile, apply, (db) => pruneCheckpoints(db, ids, apply));
  for (const thread of threads) {
    thread.checkpoints = counts?.get(thread.threadId)?.checkpoints ?? 0;
    thread.writes = counts?.get(thread.threadId)?.writes ?? 0;
    thread.workspace =
      isPlainSegment(thread.threadId) &&
      existsSync(path.join(layout.workspaceRoot, thread.threadId));
  }

  const orphanWorkspaces = listDir(layout.workspaceRoot)
    .filter((name) => !known.has(name) && isPlainSegment(name) && name !== GIT_DIRS)
    .filter((name) => newestChange(path.join(layout.workspaceRoot, name)) < Date.parse(cutoff))
    .sort();
  if (apply) {
    const doomed = [
      ...threads.filter((t) => t.workspace).map((t) => t.threadId),
      ...orphanWorkspaces,
    ];
    for (const name of doomed) {
      rmSync(path.join(layout.workspaceRoot, name), { recursive: true, force: true });
      // The thread's baseline repository goes with its workspace.
      rmSync(gitWorkspace(layout.workspaceRoot, name).gitDir, { recursive: true, force: true });
    }
  }

  const stores = storeFiles(layout.dataDir).map((name): StoreSize => {
    const file = path.join(layout.dataDir, name);
    const bytes = storeBytes(file);
    if (!apply) return { name, bytes };
    vacuum(file);
    return { name, bytes, bytesAfter: storeBytes(file) };
  });

  return {
    applied: apply,
    olderThanDays,
    cutoff,
    threads,
    keptActive: selected?.keptActive ?? [],
    orphanWorkspaces,
    stores,
    logs: { dir: layout.logDir, ...treeSize(layout.logDir) },
  };
}

interface ThreadSelection {
  threads: PrunedThread[];
  keptActive: string[];
  known: Set<string>;
}

function pruneThreads(db: Database.Database, cutoff: string, apply: boolean): ThreadSelection {
  const select = (): ThreadSelection => {
    const known = new Set(db.prepare(`SELECT thread_id FROM threads`).pluck().all() as string[]);
    const old = db
      .prepare(
        `SELECT t.thread_id AS threadId, t.updated_at AS updatedAt,
           (SELECT COUNT(*) FROM runs r WHERE r.thread_id = t.thread_id) AS runs,
           (SELECT COUNT(*) FROM run_events e JOIN runs r ON r.run_id = e.run_id
             WHERE r.thread_id = t.thread_id) AS runEvents,
           EXISTS (SELECT 1 FROM runs r WHERE r.thread_id = t.thread_id AND r.${ACTIVE}) AS active
         FROM threads t WHERE t.updated_at < ? ORDER BY t.updated_at, t.thread_id`,
      )
      .all(cutoff) as (Omit<PrunedThread, 'checkpoints' | 'writes' | 'workspace'> & {
      active: number;
    })[];
    return {
      known,
      keptActive: old.filter((t) => t.active === 1).map((t) => t.threadId),
      threads: old
        .filter((t) => t.active === 0)
        .map(({ threadId, updatedAt, runs, runEvents }) => ({
          threadId,
          updatedAt,
          runs,
          runEvents,
          checkpoints: 0,
          writes: 0,
          workspace: false,
        })),
    };
  };
  if (!apply) return select();
  // Selected and deleted in one write transaction: a run queued meanwhile keeps its thread.
  return db
    .transaction(() => {
      const selection = select();
      const events = db.prepare(
        `DELETE FROM run_events WHERE run_id IN (SELECT run_id FROM runs WHERE thread_id = ?)`,
      );
      const runs = db.prepare(`DELETE FROM runs WHERE thread_id = ?`);
      const thread = db.prepare(`DELETE FROM threads WHERE thread_id = ?`);
      for (const { threadId } of selection.threads) {
        events.run(threadId);
        runs.run(threadId);
        thread.run(threadId);
      }
      return selection;
    })
    .immediate();
}

type CheckpointCounts = Map<string, { checkpoints: number; writes: number }>;

function pruneCheckpoints(db: Database.Database, ids: string[], apply: boolean): CheckpointCounts {
  const counts: CheckpointCounts = new Map();
  const tables = new Set(
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[],
  );
  const count = (table: string, id: string): number =>
    tables.has(table)
      ? (db.prepare(`SELECT COUNT(*) FROM ${table} WHERE thread_id = ?`).pluck().get(id) as number)
      : 0;
  const work = (): void => {
    for (const id of ids) {
      counts.set(id, { checkpoints: count('checkpoints', id), writes: count('writes', id) });
      if (!apply) continue;
      for (const table of ['checkpoints', 'writes']) {
        if (tables.has(table)) db.prepare(`DELETE FROM ${table} WHERE thread_id = ?`).run(id);
      }
    }
  };
  if (apply) db.transaction(work).immediate();
  else work();
  return counts;
}

/**
 * Runs `use` on the store when it exists; a dry run's connection is query-only. It is not opened
 * read-only: such a connection cannot remove the -wal and -shm files it creates on a WAL store.
 */
function withStore<T>(
  file: string,
  write: boolean,
  use: (db: Database.Database) => T,
): T | undefined {
  if (!existsSync(file)) return undefined;
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    if (!write) db.pragma('query_only = ON');
    return use(db);
  } finally {
    db.close();
  }
}

function vacuum(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.exec('VACUUM');
    if (db.pragma('journal_mode', { simple: true }) === 'wal')
      db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    throw new AtolyeError(
      'STORE_BUSY',
      `could not vacuum ${file}: ${errorMessage(error)}; the pruning is done, run maintenance again when the store is idle`,
      { retryable: true, cause: error },
    );
  } finally {
    db.close();
  }
}

function storeBytes(file: string): number {
  return [file, `${file}-wal`].reduce(
    (sum, part) => sum + (existsSync(part) ? statSync(part).size : 0),
    0,
  );
}

/** The latest modification time of a folder or anything in it. */
function newestChange(target: string): number {
  const stats = lstatSync(target);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return listDir(target).reduce(
    (newest, name) => Math.max(newest, newestChange(path.join(target, name))),
    stats.mtimeMs,
  );
}

function treeSize(target: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const name of listDir(target)) {
    const full = path.join(target, name);
    const stats = lstatSync(full);
    if (stats.isDirectory()) {
      const inner = treeSize(full);
      files += inner.files;
      bytes += inner.bytes;
    } else if (stats.isFile()) {
      files += 1;
      bytes += stats.size;
    }
  }
  return { files, bytes };
}
