import { sql } from '../store/database.js';

/**
 * A thread's status, LangGraph Platform's four values, from its runs: busy while one is pending or
 * running, else what its last run ended with (error for `error` and `timeout`, interrupted for
 * `interrupted`, idle otherwise). The one definition, in SQL over the `threads` row aliased `t`:
 * every read of a thread selects it, so a search can filter, sort and page by it in the database.
 */

export const THREAD_STATUSES = ['idle', 'busy', 'interrupted', 'error'] as const;
export type ThreadStatus = (typeof THREAD_STATUSES)[number];

export const THREAD_STATUS = sql<ThreadStatus>`(CASE
  WHEN EXISTS (SELECT 1 FROM runs r
               WHERE r.thread_id = t.thread_id AND r.status IN ('pending', 'running')) THEN 'busy'
  ELSE COALESCE((SELECT CASE WHEN r.status IN ('error', 'timeout') THEN 'error'
                             WHEN r.status = 'interrupted' THEN 'interrupted'
                             ELSE 'idle' END
                 FROM runs r WHERE r.thread_id = t.thread_id ORDER BY r.seq DESC LIMIT 1), 'idle')
END)`;
