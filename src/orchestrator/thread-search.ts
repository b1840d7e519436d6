import { metadataCondition } from './metadata-filter.js';
import {
  IN_SCOPE,
  scopeParams,
  toThread,
  type Metadata,
  type RunsStore,
  type ThreadRecord,
  type ThreadRow,
  type ThreadScope,
} from './runs-store.js';
import type { RunStatus } from './status.js';
import { threadStatus, type ThreadStatus } from './thread-status.js';

/**
 * `POST /threads/search`: the threads of a scope filtered by metadata, ids and status, sorted and
 * paged. Everything but the status is done in SQL; a thread's status comes from its runs, so a
 * search that filters or sorts by it reads every match's two facts (busy, last run) in SQL and
 * pages in memory.
 */

export type ThreadSortKey = 'thread_id' | 'status' | 'created_at' | 'updated_at';

export interface ThreadQuery {
  metadata?: Metadata;
  ids?: readonly string[];
  status?: ThreadStatus;
  /** updated_at (most recently active) by default. */
  sortBy?: ThreadSortKey;
  /** desc by default. */
  sortOrder?: 'asc' | 'desc';
  limit: number;
  offset: number;
}

const COLUMN: Record<Exclude<ThreadSortKey, 'status'>, string> = {
  thread_id: 't.thread_id',
  created_at: 't.created_at',
  updated_at: 't.updated_at',
};

interface SearchRow extends ThreadRow {
  busy: number;
  last_run: RunStatus | null;
}

export function searchThreads(
  store: RunsStore,
  scope: ThreadScope,
  query: ThreadQuery,
): ThreadRecord[] {
  const order = query.sortOrder === 'asc' ? 'ASC' : 'DESC';
  const byStatus = query.sortBy === 'status';
  const inMemory = byStatus || query.status !== undefined;
  const sortKey =
    query.sortBy === undefined || query.sortBy === 'status' ? 'updated_at' : query.sortBy;
  const column = COLUMN[sortKey];
  const metadata = metadataCondition('t.metadata', query.metadata);
  const rows = store.db
    .prepare(
      `SELECT t.*,
         EXISTS (SELECT 1 FROM runs r
                 WHERE r.thread_id = t.thread_id AND r.status IN ('pending', 'running')) AS busy,
         (SELECT r.status FROM runs r WHERE r.thread_id = t.thread_id
          ORDER BY r.seq DESC LIMIT 1) AS last_run
       FROM threads t
       WHERE ${IN_SCOPE}
         AND (@ids IS NULL OR t.thread_id IN (SELECT value FROM json_each(@ids)))
         AND ${metadata.sql}
       ORDER BY ${column} ${order}, t.thread_id ${order}
       ${inMemory ? '' : 'LIMIT @limit OFFSET @offset'}`,
    )
    .all({
      ...scopeParams(scope),
      ...metadata.params,
      ids: query.ids ? JSON.stringify(query.ids) : null,
      ...(inMemory ? {} : { limit: query.limit, offset: query.offset }),
    }) as SearchRow[];
  if (!inMemory) return rows.map(toThread);

  let found = rows.map((row) => ({
    thread: toThread(row),
    status: threadStatus(row.busy === 1, row.last_run),
  }));
  if (query.status !== undefined) found = found.filter((entry) => entry.status === query.status);
  if (byStatus) {
    // Stable: threads of one status keep the SQL order (most recently active first).
    const sign = order === 'ASC' ? 1 : -1;
    found.sort((a, b) => sign * a.status.localeCompare(b.status));
  }
  return found.slice(query.offset, query.offset + query.limit).map((entry) => entry.thread);
}
