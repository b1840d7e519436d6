/**
 * How deeply JSON from outside may nest. `JSON.parse` copes with any depth, but most of what
 * handles the value afterwards recurses — `JSON.stringify` (and with it Node's IPC channel to a
 * worker), `structuredClone`, LangChain's message serialisation, a zod schema, the log redactor —
 * and runs out of stack somewhere between 2,000 and 5,000 levels. Real data needs a handful of
 * levels; 64 leaves ample room and matches the log redactor's cut-off.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `value` nests more than `limit` levels of arrays and objects (a scalar is 0 levels,
 * `{}` and `[1]` are 1, `{"a": [1]}` is 2). Counted with an explicit stack, not by recursion, so
 * the check itself cannot overflow; it stops at the first path that passes the limit, so a
 * cycle ends it too.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit < 1) return true;
  const objects: object[] = [value];
  const depths: number[] = [1];
  while (objects.length > 0) {
    const current = objects.pop() as object;
    const depth = depths.pop() as number;
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (child === null || typeof child !== 'object') continue;
      if (depth >= limit) return true;
      objects.push(child);
      depths.push(depth + 1);
    }
  }
  return false;
}
