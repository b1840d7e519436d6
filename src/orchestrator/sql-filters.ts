import { inList, sql, type DatabaseKind } from '../store/database.js';
import type { RawBuilder } from 'kysely';
import type { Metadata, ThreadScope } from './run-records.js';

/** The conditions the orchestrator's searches share, as SQL for either database. */

/**
 * The row aliased `alias` (a thread, an assistant, a cron: each has an `owner`) is in `scope`.
 * Every read that takes a scope filters in its SQL, so a row out of scope is never loaded.
 */
export function inScope(alias: string, scope: ThreadScope): RawBuilder<unknown> {
  if ('all' in scope) return sql`1 = 1`;
  return inList(sql.ref(`${alias}.owner`), scope.owners);
}

/**
 * "Metadata has each of these keys with exactly this value" over a JSON text column. Postgres
 * compares the values as JSON (an object matches whatever its key order); SQLite compares them as
 * minified JSON (an object matches only with its keys in the stored order).
 */
export function metadataMatches(
  kind: DatabaseKind,
  column: string,
  filter: Metadata | undefined,
): RawBuilder<unknown> {
  const parts = Object.entries(filter ?? {}).map(([key, value]) =>
    kind === 'postgres'
      ? sql`(${sql.ref(column)}::jsonb -> ${key}) = ${JSON.stringify(value)}::jsonb`
      : // A quoted label: a key with dots or spaces is one key, not a path.
        sql`(${sql.ref(column)} -> ${`$.${JSON.stringify(key)}`}) = json(${JSON.stringify(value)})`,
  );
  return parts.length === 0 ? sql`1 = 1` : sql.join(parts, sql` AND `);
}
