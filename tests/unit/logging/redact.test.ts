import { createRedactor, REDACTED } from '../../../src/logging/index.js';

const redact = createRedactor([
  'test-signing-secret',
  'https://abc123@o1.ingest.sentry.io/42',
  'abc',
]);

describe('secret values from the configuration', () => {
  test('are removed wherever they occur in a string, at any depth', () => {
    expect(
      redact({
        a: { b: ['x test-signing-secret y test-signing-secret'] },
        dsn: 'https://abc123@o1.ingest.sentry.io/42',
      }),
    ).toEqual({ a: { b: [`x ${REDACTED} y ${REDACTED}`] }, dsn: REDACTED });
  });

  test('values too short to be secrets do not shred ordinary words', () => {
    expect(redact('abcdef')).toBe('abcdef');
  });
});

describe('well-known secret shapes', () => {
  test.each([
    ['key sk-abcdefghijklmnopqrstuvwx used', `key ${REDACTED} used`],
    ['sk-proj-AbC_dEf-1234567890abcdefGHIJ', REDACTED],
    ['Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig-nature_', `Authorization: Bearer ${REDACTED}`],
    ['bearer abcdefgh12345678==', `bearer ${REDACTED}`],
    ['https://KEY123@host.example/1', `https://${REDACTED}@host.example/1`],
    [
      'see postgres://app:pa55word@db:5432/atolye now',
      `see postgres://app:${REDACTED}@db:5432/atolye now`,
    ],
  ])('%s', (input, output) => {
    expect(redact(input)).toBe(output);
  });

  test.each([
    'the task-abcdefghijklmnopqrstuvwx id',
    'Bearer token missing',
    'https://example.com/path?q=1',
    'mail me at someone@example.com',
  ])('leaves "%s" alone', (text) => {
    expect(redact(text)).toBe(text);
  });

  test('a long unbroken string is scanned in linear time', () => {
    const blob = 'Ab+cd.'.repeat(100_000);
    const started = performance.now();
    expect(redact(blob)).toBe(blob);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('fields named like secrets', () => {
  test('lose their value at any depth, whatever it looks like', () => {
    const input = {
      password: 'p',
      nested: [
        { Authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': 1, api_key: 'k', apiKey: { id: 2 } },
      ],
      headers: { cookie: 'a=b', 'set-cookie': ['c=d'] },
      db: { passwd: 'x', adminToken: 't', clientSecret: 's', privateKey: 'k' },
    };
    expect(redact(input)).toEqual({
      password: REDACTED,
      nested: [
        { Authorization: REDACTED, 'x-api-key': REDACTED, api_key: REDACTED, apiKey: REDACTED },
      ],
      headers: { cookie: REDACTED, 'set-cookie': REDACTED },
      db: { passwd: REDACTED, adminToken: REDACTED, clientSecret: REDACTED, privateKey: REDACTED },
    });
  });

  test('token counts and empty secrets stay readable', () => {
    const input = {
      maxTokens: 10,
      promptTokens: 3,
      tokenUsage: { total: 4 },
      secrets: ['OPENAI_API_KEY'],
      token: '',
      password: null,
    };
    expect(redact(input)).toEqual(input);
  });
});

describe('the copy', () => {
  test('leaves its input untouched', () => {
    const input = {
      password: 'p',
      list: [{ note: 'sk-abcdefghijklmnopqrstuvwx' }],
      when: new Date(0),
    };
    const before = structuredClone(input);
    const output = redact(input);
    expect(input).toEqual(before);
    expect(output).not.toBe(input);
    expect(output.list).not.toBe(input.list);
  });

  test('turns cycles into "[Circular]" but keeps shared references', () => {
    const shared = { n: 1 };
    const input: Record<string, unknown> = { a: shared, b: shared };
    input.self = input;
    const output = redact(input);
    expect(output).toEqual({ a: { n: 1 }, b: { n: 1 }, self: '[Circular]' });
    expect(() => JSON.stringify(output)).not.toThrow();
  });

  test('is JSON-ready plain data', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const output = redact({
      big: 10n,
      when: new Date('2025-01-02T03:04:05.000Z'),
      invalid: new Date('nope'),
      map: new Map<unknown, unknown>([
        [1, 'one'],
        ['password', 'p'],
      ]),
      set: new Set(['a', Symbol('s')]),
      bytes: Buffer.from('hello'),
      url: new URL('https://user:pw@example.com/x'),
      point: new Point(1, 2),
      fn: () => 1,
      list: [undefined, () => 1],
    });
    expect(output).toEqual({
      big: '10',
      when: '2025-01-02T03:04:05.000Z',
      invalid: 'Invalid Date',
      map: { 1: 'one', password: REDACTED },
      set: ['a', null],
      bytes: '[Buffer 5 bytes]',
      url: `https://user:${REDACTED}@example.com/x`,
      point: { x: 1, y: 2 },
      list: [null, null],
    });
  });

  test('writes errors as name, message, code, stack and cause, redacted', () => {
    const cause = new Error('inner test-signing-secret');
    const error = Object.assign(new TypeError('outer', { cause }), {
      code: 'E_OUTER',
      status: 502,
    });
    const output = redact({ err: error }) as unknown as { err: Record<string, unknown> };
    expect(output.err).toMatchObject({
      name: 'TypeError',
      message: 'outer',
      code: 'E_OUTER',
      status: 502,
      cause: { name: 'Error', message: `inner ${REDACTED}` },
    });
    expect(output.err.stack).toEqual(expect.stringContaining('redact.test.ts'));
  });

  test('stops at a depth no log line needs', () => {
    let deep: Record<string, unknown> = { end: true };
    for (let level = 0; level < 100; level++) deep = { next: deep };
    expect(JSON.stringify(redact(deep))).toContain('[Truncated]');
  });
});
