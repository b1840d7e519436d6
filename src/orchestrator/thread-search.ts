import { inList, sql } from '../store/database.js';
import {
  THREAD_COLUMNS,
  toThread,
  type Metadata,
  type RunsStore,
  type ThreadRecord,
  type ThreadRow,
  type ThreadScope,
} from './runs-store.js';
import { inScope, metadataMatches } from './sql-filters.js';
import type { ThreadStatus } from './thread-status.js';

/**
 * `POST /threads/search`: the threads of a scope filtered by metadata, ids and status, sorted and
 * paged: one query, everything in SQL (a thread's status is computed there, thread-status.ts).
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

export async function searchThreads(
  store: RunsStore,
  scope: ThreadScope,
  query: ThreadQuery,
): Promise<ThreadRecord[]> {
  const order = sql.raw(query.sortOrder === 'asc' ? 'ASC' : 'DESC');
  // Threads of one status keep the order of their last activity.
  const sortBy =
    query.sortBy === 'status'
      ? sql`s.status ${order}, s.updated_at ${order}`
      : sql`${sql.ref(`s.${query.sortBy ?? 'updated_at'}`)} ${order}`;
  const rows = await store.database.all<ThreadRow>(
    sql`SELECT * FROM (
          SELECT ${THREAD_COLUMNS} FROM threads t
          WHERE ${inScope('t', scope)}
            AND ${query.ids ? inList(sql.ref('t.thread_id'), query.ids) : sql`1 = 1`}
            AND ${metadataMatches(store.database.kind, 't.metadata', query.metadata)}
        ) s
        WHERE ${query.status === undefined ? sql`1 = 1` : sql`s.status = ${query.status}`}
        ORDER BY ${sortBy}, s.thread_id ${order}
        LIMIT ${query.limit} OFFSET ${query.offset}`,
  );
  return rows.map(toThread);
}
