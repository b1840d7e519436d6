import { serializeError } from './serialize-error.js';

export const REDACTED = '[REDACTED]';

/** Returns a redacted, JSON-ready copy of `value`; never mutates it. */
export type Redactor = <T>(value: T) => T;

/** Shorter configured "secrets" would shred ordinary words in every line; production requires ≥ 16. */
const MIN_SECRET_LENGTH = 4;
const MAX_DEPTH = 64;

/** Field names whose value is dropped whatever it looks like (compared without case, `-` and `_`). */
const SECRET_FIELD =
  /(?:password|passwd|passphrase|secret|token|authorization|apikey|cookie|cookies|privatekey)$/;

/** Well-known secret shapes, found inside any string. */
const SHAPES = [
  // OpenAI-style keys: sk-…, sk-proj-…, sk-svcacct-…
  String.raw`\bsk-[A-Za-z0-9_-]{16,}`,
  // Authorization header values echoed in messages; short words ("Bearer token") stay readable.
  String.raw`(?<bearer>\b[Bb]earer\s+)[A-Za-z0-9\-._~+/]{8,}=*`,
  // Credentials in URLs and Sentry DSNs: https://KEY@host/1, postgres://user:pass@host/db.
  // The scheme is bounded so a long unbroken string cannot make the scan quadratic.
  String.raw`(?<scheme>\b[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)(?<user>[^\s/?#@:]*)(?<pass>:[^\s/?#@]*)?@`,
];

interface RedactionGroups {
  bearer?: string;
  scheme?: string;
  user?: string;
  pass?: string;
}

/**
 * A deep, cycle-safe redactor. Removes (a) the exact `secretValues` (the configured secrets),
 * (b) well-known secret shapes inside any string and (c) the value of any field named like a
 * secret, at any depth. The copy is plain JSON-ready data: Errors become { name, message, code,
 * stack }, Dates ISO strings, Maps objects, Sets arrays, bigints strings, cycles "[Circular]".
 * Shared by the log pipeline and Sentry's beforeSend.
 */
export function createRedactor(secretValues: readonly string[]): Redactor {
  const values = [...new Set(secretValues)]
    .filter((value) => value.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp);
  const alternatives = values.length > 0 ? [values.join('|'), ...SHAPES] : SHAPES;
  const pattern = new RegExp(alternatives.join('|'), 'g');
  // Most strings hold none of this; a cheap test spares them the full scan.
  const hint = new RegExp([...values, String.raw`sk-|[Bb]earer|:\/\/`].join('|'));

  const redactString = (text: string): string =>
    !hint.test(text)
      ? text
      : text.replace(pattern, (...args: unknown[]) => {
          const groups = args.at(-1) as RedactionGroups;
          if (groups.bearer !== undefined) return `${groups.bearer}${REDACTED}`;
          if (groups.scheme !== undefined) {
            return groups.pass === undefined
              ? `${groups.scheme}${REDACTED}@`
              : `${groups.scheme}${groups.user ?? ''}:${REDACTED}@`;
          }
          return REDACTED;
        });

  return <T>(value: T): T => new Walk(redactString).value(value) as T;
}

/** One redaction pass: the objects being copied (for cycles) and the copies made (for sharing). */
class Walk {
  private readonly path: object[] = [];
  private done: Map<object, unknown> | undefined;

  constructor(private readonly redactString: (text: string) => string) {}

  value(value: unknown): unknown {
    switch (typeof value) {
      case 'string':
        return this.redactString(value);
      case 'number':
      case 'boolean':
      case 'undefined':
        return value;
      case 'bigint':
        return value.toString();
      case 'symbol':
      case 'function':
        return undefined;
    }
    if (value === null) return null;
    const object = value as object;
    if (this.path.includes(object)) return '[Circular]';
    if (this.done?.has(object)) return this.done.get(object);
    if (this.path.length >= MAX_DEPTH) return '[Truncated]';

    this.path.push(object);
    const copy = this.object(object);
    this.path.pop();
    (this.done ??= new Map()).set(object, copy);
    return copy;
  }

  private object(object: object): unknown {
    const prototype: unknown = Object.getPrototypeOf(object);
    if (prototype === Object.prototype || prototype === null) return this.fields(object);
    if (Array.isArray(object)) return this.items(object);
    if (object instanceof Error) return this.fields(serializeError(object));
    if (object instanceof Date) {
      return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    }
    if (object instanceof Map) {
      return this.fields(Object.fromEntries([...object].map(([key, item]) => [String(key), item])));
    }
    if (object instanceof Set) return this.items([...object]);
    if (ArrayBuffer.isView(object))
      return `[${object.constructor.name} ${object.byteLength} bytes]`;
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return this.value(toJSON.call(object));
    return this.fields(object);
  }

  private items(items: unknown[]): unknown[] {
    // As JSON does: an array keeps its length, unrepresentable items become null.
    return items.map((item) => this.value(item) ?? null);
  }

  private fields(object: object): Record<string, unknown> {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const child = (object as Record<string, unknown>)[key];
      if (child === undefined || child === null || child === '') {
        if (child !== undefined) copy[key] = child;
      } else if (isSecretField(key)) {
        copy[key] = REDACTED;
      } else {
        const redacted = this.value(child);
        if (redacted !== undefined) copy[key] = redacted;
      }
    }
    return copy;
  }
}

const fieldVerdicts = new Map<string, boolean>();

function isSecretField(key: string): boolean {
  let secret = fieldVerdicts.get(key);
  if (secret === undefined) {
    secret = SECRET_FIELD.test(key.toLowerCase().replace(/[-_.\s]/g, ''));
    // Field names come from code, so few; the bound guards against data used as keys.
    if (fieldVerdicts.size < 10_000) fieldVerdicts.set(key, secret);
  }
  return secret;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
