import fc from 'fast-check';

/**
 * Requests as bytes, for what node:http will not send: NUL, spaces and CR/LF in the path, bytes
 * of invalid UTF-8, odd HTTP versions and methods, duplicate or conflicting framing headers,
 * folded and oversized headers. Every case is a complete request (the framing never promises
 * more body than is sent), so a server that does not answer is hanging, not waiting.
 */

export interface RawCase {
  method: string;
  /** Prefix + segment, as bytes (latin1: one char per byte). */
  target: string;
  version: string;
  headers: string[];
  framing: 'none' | 'length' | 'chunked' | 'chunkedAndLength' | 'twoLengths' | 'shortLength';
  body: string;
}

export interface RawOptions {
  /** Path prefixes that reach real routes (a segment is appended). */
  paths: string[];
  /** A header line that authenticates. */
  auth: string;
}

const methods = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'PUT',
      'OPTIONS',
      'HEAD',
      'TRACE',
      'CONNECT',
      'get',
      'G\u0000T',
      'X'.repeat(100),
      'PROPFIND',
      'M-SEARCH',
    ),
  },
);

/** Bytes a path segment may hold on the wire, the forbidden ones included. */
const rawSegment = fc.oneof(
  fc.constantFrom(
    '',
    '..',
    '%2e%2e',
    '\u0000',
    'a\u0000b',
    '%00',
    ' ',
    'a b',
    '\u00ff\u00fe',
    // U+2024 (one dot leader) and U+FF0E (fullwidth full stop) as their UTF-8 bytes.
    '\u00e2\u0080\u00a4\u00e2\u0080\u00a4',
    '\u00ef\u00bc\u008e\u00ef\u00bc\u008e',
    // Overlong "/" and a lone surrogate, both invalid UTF-8.
    '\u00c0\u00af',
    '\u00ed\u00a0\u0080',
    '%c0%af',
    '\\',
    '\t',
    '#frag',
    '?x=\u0000',
    '..;/',
    'a'.repeat(20_000),
    'b/'.repeat(3_000),
  ),
  fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 })
    .map((bytes) => String.fromCharCode(...bytes.filter((b) => b !== 0x0d && b !== 0x0a))),
);

const versions = fc.oneof(
  { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'HTTP/1.0',
      'HTTP/2.0',
      'HTTP/9.9',
      'http/1.1',
      'HTTP/1.1 extra',
      'HTTP/1',
    ),
  },
);

const oddHeaderLines = fc.constantFrom(
  'X-Request-Id: \u0000',
  'X-Odd:\u00ff\u00fe',
  'Bad Header: x',
  ': empty-name',
  'X-Folded: a\r\n  continued',
  `X-Big: ${'a'.repeat(20_000)}`,
  'Content-Type: application/json',
  'Content-Type: application/json; charset=utf-16',
  'Content-Type: text/plain',
  'Connection: close',
  'Connection: keep-alive, upgrade',
  'Upgrade: websocket',
  'Expect: 100-continue',
  'Host: 127.0.0.1',
  'Host: evil.example',
  'Authorization: Bearer \u0000',
  'Authorization: Bearer',
  'X-Api-Key: \u00e9',
);

export function rawCase(options: RawOptions): fc.Arbitrary<RawCase> {
  return fc.record({
    method: methods,
    target: fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(fc.constantFrom(...options.paths), rawSegment)
          .map(([prefix, segment]) => `${prefix}${segment}`),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '*',
          'http://evil.example/threads',
          '//threads',
          '/threads/../healthz',
          '/healthz\u0000',
          '/%',
          '',
          'threads',
          `/${'c'.repeat(70_000)}`,
        ),
      },
    ),
    version: versions,
    headers: fc
      .tuple(fc.boolean(), fc.boolean(), fc.array(oddHeaderLines, { maxLength: 3 }))
      .map(([withHost, withAuth, odd]) => [
        ...(withHost ? ['Host: 127.0.0.1'] : []),
        ...(withAuth ? [options.auth] : []),
        ...odd,
      ]),
    framing: fc.constantFrom(
      'none',
      'length',
      'length',
      'chunked',
      'chunkedAndLength',
      'twoLengths',
      'shortLength',
    ),
    body: fc.oneof(
      fc.constantFrom('', '{}', '{"task":"x"}', '{"a":', '\u0000\u00ff'),
      fc.string({ maxLength: 50 }),
    ),
  });
}

/** The request's bytes: request line, headers, framing and body, each char one byte. */
export function rawWire(c: RawCase): Buffer {
  const body = Buffer.from(c.body, 'utf8').toString('latin1');
  const lines = [`${c.method} ${c.target} ${c.version}`, ...c.headers];
  let payload = '';
  switch (c.framing) {
    case 'none':
      break;
    case 'length':
      lines.push(`Content-Length: ${body.length}`);
      payload = body;
      break;
    case 'chunked':
      lines.push('Transfer-Encoding: chunked');
      payload = `${body.length > 0 ? `${body.length.toString(16)}\r\n${body}\r\n` : ''}0\r\n\r\n`;
      break;
    case 'chunkedAndLength':
      lines.push('Transfer-Encoding: chunked', `Content-Length: ${body.length + 5}`);
      payload = `${body.length > 0 ? `${body.length.toString(16)}\r\n${body}\r\n` : ''}0\r\n\r\n`;
      break;
    case 'twoLengths':
      lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`);
      payload = body;
      break;
    case 'shortLength':
      // The rest of the body reads as the start of a next request: it must not hang the first.
      lines.push(`Content-Length: ${Math.floor(body.length / 2)}`);
      payload = body;
      break;
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${payload}`, 'latin1');
}
