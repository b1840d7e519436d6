import fc from 'fast-check';

/**
 * Hostile input shared by the run API's and the worker host's fuzz properties: strings, path
 * segments, JSON values and URLs that break naive code. Pure: nothing here touches a server.
 */

/** Strings that have broken servers before: NUL, lone surrogates, bidi controls, dots, huge. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202e\u0041',
  '\ufeff',
  '..',
  '../../etc/passwd',
  '\u2024\u2024',
  '\uff0e\uff0e',
  '%00',
  '%2e%2e%2f',
  '\\..\\',
  '\r\n',
  '${jndi:x}',
  '<script>',
  "'; DROP TABLE threads; --",
  '🦀'.repeat(50),
  'x'.repeat(300),
  'y'.repeat(70_000),
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

/**
 * One path segment as it goes on the wire (already percent-encoded or deliberately not): encoded
 * and unicode dots, NUL, invalid UTF-8 once decoded, bytes above 0x7f, very long.
 */
export const ODD_SEGMENTS: readonly string[] = [
  '.',
  '..',
  '%2e',
  '%2e%2e',
  '%2E%2E%2F',
  '.%2e',
  '%252e%252e',
  '%u2024',
  '%E2%80%A4',
  '%EF%BC%8E%EF%BC%8E',
  '%00',
  'a%00b',
  '%ff',
  '%C0%AE%C0%AE',
  '%ED%A0%80',
  '%',
  '%zz',
  '%%',
  '\u00e9',
  '\u00ff\u00fe',
  ';',
  'a;b=c',
  '~',
  'CON',
  'NUL',
  '-',
  '_',
  '.hidden',
  'a..b',
  '%0A',
  '%0d%0a',
  '%20',
  '+',
  '%2F',
  '%5C',
  'x'.repeat(129),
  'x'.repeat(256),
  'x'.repeat(5_000),
  '%41'.repeat(3_000),
];

/** Characters Node's HTTP client puts on the wire as they are (0x21–0xff). */
const WIRE_CHARS = fc.integer({ min: 0x21, max: 0xff }).map((code) => String.fromCharCode(code));

export const oddSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
  {
    weight: 1,
    arbitrary: fc
      .array(WIRE_CHARS, { minLength: 1, maxLength: 30 })
      .map((chars) =>
        chars.join('').replaceAll('/', '%2F').replaceAll('?', '%3F').replaceAll('#', '%23'),
      ),
  },
);

/** A workspace file path on the wire: several segments, odd or plain. */
export const oddFilePath: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'notes.txt',
    'dir/a.txt',
    'dir',
    'missing.txt',
    '../x',
    '%2e%2e/%2e%2e/etc/passwd',
    '..%2f..%2fetc%2fpasswd',
    `${'a'.repeat(255)}/${'b'.repeat(255)}`,
    Array.from({ length: 40 }, () => 'c'.repeat(200)).join('/'),
    'x'.repeat(9_000),
    'dir/%00',
    '%E2%80%A4%E2%80%A4/x',
    './notes.txt',
    'dir//a.txt',
    'dir/./a.txt',
  ),
  fc
    .array(fc.oneof(oddSegment, fc.constantFrom('dir', 'notes.txt', 'a.txt')), {
      minLength: 1,
      maxLength: 6,
    })
    .map((segments) => segments.join('/')),
);

/** Object keys that are odd as keys: NUL, prototype names, dots and dollars of JSON paths. */
const oddKey = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('\u0000', '__proto__', 'constructor', '', 'a.b', '$.x', "'", '"'),
  },
);

/** Any JSON value, nested a little, its strings and keys hostile now and then. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'anyJson' },
    fc.oneof(hostileString, fc.string({ maxLength: 12 })),
    fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    ),
    fc.array(tie('value'), { maxLength: 3, depthIdentifier: 'anyJson' }),
    fc.dictionary(oddKey, tie('value'), { maxKeys: 3, depthIdentifier: 'anyJson' }),
  ),
})).value;

/** JSON nested `depth` levels of arrays or objects. */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

export function deepValue(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
}

/** URLs that must never reach a network: private, loopback, odd schemes, garbage. */
export const hostileUrl: fc.Arbitrary<string> = fc.constantFrom(
  'https://127.0.0.1/repo.git',
  'https://10.0.0.1/x.git',
  'https://[::1]/x.git',
  'http://localhost:1/hook',
  'https://169.254.169.254/latest/meta-data',
  'file:///etc/passwd',
  'ftp://127.0.0.1/x',
  'git://127.0.0.1/x',
  'ssh://git@127.0.0.1/x',
  'javascript:alert(1)',
  'not a url',
  'https://',
  'https://user:pass@127.0.0.1/x',
  `https://127.0.0.1/${'a'.repeat(3_000)}`,
);
