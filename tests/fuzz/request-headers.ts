import fc from 'fast-check';

/** Credentials and headers of a generated run API request: the right key, wrong ones, odd ones. */

export type Auth =
  'user' | 'admin' | 'xApiKey' | 'none' | 'wrong' | 'duplicate' | 'basic' | 'long' | 'latin1';

export const auth: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('user' as const) },
  { weight: 2, arbitrary: fc.constantFrom<Auth>('admin', 'xApiKey') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Auth>('none', 'wrong', 'duplicate', 'basic', 'long', 'latin1'),
  },
);

export interface Keys {
  key: string;
  adminKey: string;
}

export function authHeaders(kind: Auth, keys: Keys): [string, string][] {
  switch (kind) {
    case 'user':
      return [['authorization', `Bearer ${keys.key}`]];
    case 'admin':
      return [['authorization', `Bearer ${keys.adminKey}`]];
    case 'xApiKey':
      return [['x-api-key', keys.key]];
    case 'none':
      return [];
    case 'wrong':
      return [['authorization', 'Bearer atolye_not_a_key']];
    case 'duplicate':
      return [
        ['authorization', `Bearer ${keys.key}`],
        ['authorization', 'Bearer atolye_not_a_key'],
      ];
    case 'basic':
      return [['authorization', 'Basic dXNlcjpwYXNz']];
    case 'long':
      return [['authorization', `Bearer ${'k'.repeat(8_000)}`]];
    case 'latin1':
      return [['authorization', `Bearer \u00e9\u00ff${keys.key}`]];
  }
}

/** Headers a client might add: odd request ids, accepts, encodings it does not use. */
export const oddHeader: fc.Arbitrary<[string, string]> = fc.constantFrom<[string, string]>(
  ['x-request-id', 'x'.repeat(1_000)],
  ['x-request-id', '../../etc'],
  ['x-request-id', '\u00ff\u00fe'],
  ['accept', 'text/event-stream'],
  ['accept', '*/*;q=abc'],
  ['accept-encoding', 'gzip, br, zstd'],
  ['content-encoding', 'gzip'],
  ['expect', '100-continue'],
  ['transfer-encoding', 'chunked'],
  ['x-forwarded-for', '127.0.0.1, ::1, garbage'],
  ['origin', 'null'],
  ['cookie', 'a=b; '.repeat(200)],
  ['if-none-match', '*'],
  ['range', 'bytes=0-0,5-1'],
  ['x-pagination-total', '-1'],
);
