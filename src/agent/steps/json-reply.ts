import type * as z from 'zod';

export type JsonReply<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Reads one JSON object from a model's text: tolerates Markdown fences and prose around it,
 * since models add both even when asked not to.
 */
export function parseJsonReply<S extends z.ZodType>(
  text: string,
  schema: S,
): JsonReply<z.output<S>> {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end < start) return { ok: false, problem: 'no JSON object found' };
  let raw: unknown;
  try {
    raw = JSON.parse(text.slice(start, end + 1));
  } catch {
    return { ok: false, problem: 'the JSON does not parse' };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(object)'}: ${issue.message}`,
    );
    return { ok: false, problem: fields.join('; ') };
  }
  return { ok: true, value: parsed.data };
}
