/**
 * "Metadata has each of these keys with exactly this value", as SQL over a JSON text column, for
 * the thread and assistant searches. Values compare as minified JSON, so an object matches only
 * with its keys in the same order as stored.
 */

export interface SqlCondition {
  sql: string;
  params: Record<string, string>;
}

export function metadataCondition(
  column: string,
  filter: Record<string, unknown> | undefined,
): SqlCondition {
  const params: Record<string, string> = {};
  const parts = Object.entries(filter ?? {}).map(([key, value], index) => {
    // A quoted label: a key with dots or spaces is one key, not a path.
    params[`metaPath${index}`] = `$.${JSON.stringify(key)}`;
    params[`metaValue${index}`] = JSON.stringify(value);
    return `(${column} -> @metaPath${index}) = json(@metaValue${index})`;
  });
  return { sql: parts.length === 0 ? '1 = 1' : parts.join(' AND '), params };
}
