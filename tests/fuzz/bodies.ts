import fc from 'fast-check';
import { anyJson, deepJson, deepValue, hostileString } from './arbitraries.js';

/** What a body goes through before it is sent: a mutation of its value, then an encoding. */

/** A change to a valid value that should make the server refuse it (or not): the fuzz's variety. */
export type Mutation =
  | { kind: 'none' }
  | { kind: 'drop'; index: number }
  | { kind: 'wrongType'; index: number; value: unknown }
  | { kind: 'unknownField'; name: string; value: unknown }
  | { kind: 'hostile'; index: number; value: string }
  | { kind: 'deep'; index: number; depth: number }
  | { kind: 'replaceWhole'; value: unknown };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), index: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('wrongType' as const),
      index: fc.nat(),
      value: fc.oneof(anyJson, fc.constantFrom(1e308, -0, 2 ** 53 + 1, [], {}, true, null)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('unknownField' as const),
      name: fc.oneof(
        fc.string({ maxLength: 10 }),
        fc.constantFrom('__proto__', 'constructor', 'prototype', '\u0000'),
      ),
      value: anyJson,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('hostile' as const),
      index: fc.nat(),
      value: hostileString,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deep' as const),
      index: fc.nat(),
      // JSON.stringify recurses: deeper values go on the wire as the deepArray/deepObject encodings.
      depth: fc.constantFrom(33, 100, 2_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('replaceWhole' as const), value: anyJson }),
  },
);

/** Applies `m` to a copy of `value`; index picks one of the value's keys (at the top level). */
export function mutate(value: unknown, m: Mutation): unknown {
  if (m.kind === 'none') return value;
  if (m.kind === 'replaceWhole') return m.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return m.kind === 'deep' ? deepValue(m.depth) : m.kind === 'hostile' ? m.value : value;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (m.kind === 'unknownField') {
    Object.defineProperty(copy, m.name, {
      value: m.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return copy;
  }
  const keys = Object.keys(copy);
  if (keys.length === 0) return m.kind === 'deep' ? { a: deepValue(m.depth) } : copy;
  const key = keys[m.index % keys.length] as string;
  if (m.kind === 'drop') delete copy[key];
  else if (m.kind === 'wrongType') copy[key] = m.value;
  else if (m.kind === 'hostile') copy[key] = m.value;
  else copy[key] = deepValue(m.depth);
  return copy;
}

/** How a body goes on the wire; `json` is JSON.stringify of the (mutated) value. */
export type Encoding =
  | 'json'
  | 'empty'
  | 'truncated'
  | 'trailingGarbage'
  | 'invalidUtf8'
  | 'cesuSurrogate'
  | 'bom'
  | 'duplicateKeys'
  | 'deepArray'
  | 'deepObject'
  | 'tooLarge'
  | 'notJson';

export const encoding: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('json' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Encoding>(
      'empty',
      'truncated',
      'trailingGarbage',
      'invalidUtf8',
      'cesuSurrogate',
      'bom',
      'duplicateKeys',
      'deepArray',
      'deepObject',
      'tooLarge',
      'notJson',
    ),
  },
);

/** The bytes of a body: `value` encoded as `how`; `limitBytes` sizes the too-large case. */
export function encodeBody(value: unknown, how: Encoding, limitBytes: number): Buffer {
  const text = JSON.stringify(value) ?? 'null';
  switch (how) {
    case 'json':
      return Buffer.from(text);
    case 'empty':
      return Buffer.alloc(0);
    case 'truncated':
      return Buffer.from(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    case 'trailingGarbage':
      return Buffer.from(`${text}}garbage`);
    case 'invalidUtf8':
      return Buffer.concat([
        Buffer.from('{"task":"'),
        Buffer.from([0xff, 0xfe, 0xc0, 0xaf]),
        Buffer.from('"}'),
      ]);
    case 'cesuSurrogate':
      return Buffer.concat([
        Buffer.from('{"assistant_id":"'),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('"}'),
      ]);
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case 'duplicateKeys':
      return Buffer.from(
        text.startsWith('{') && text.length > 2
          ? `{"__proto__":{"x":1},${text.slice(1)}`
          : '{"a":1,"a":2}',
      );
    case 'deepArray':
      return Buffer.from(deepJson(100_000, 'array'));
    case 'deepObject':
      return Buffer.from(deepJson(50_000, 'object'));
    case 'tooLarge':
      return Buffer.alloc(limitBytes + 1, 0x20);
    case 'notJson':
      return Buffer.from("{task: 'x', NaN: Infinity} // comment");
  }
}

/** Content types a client might send with a body, right or wrong. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/gzip',
      'application/zip',
      'application/json, text/plain',
      '',
      ';;;',
      'application/json; charset="',
      '\u00e9/\u00e9',
    ),
  },
);
