import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ASSISTANT_UUID } from '../../src/orchestrator/api/schemas.js';
import { knownId, resolveKnown, type KnownIds } from './api-target.js';
import { anyJson, oddFilePath, oddSegment } from './arbitraries.js';
import { seeded, fieldOverrides, withForced } from './body-seeds.js';
import {
  contentType,
  encodeBody,
  encoding,
  mutate,
  mutation,
  type Encoding,
  type Mutation,
} from './bodies.js';
import { auth, authHeaders, oddHeader, type Auth, type Keys } from './request-headers.js';
import { valueOf, type JsonSchema, type SchemaContext } from './schema-values.js';
import type { WireRequest } from './wire.js';

/**
 * Requests generated from docs/api/openapi.json: every documented operation, its path and query
 * parameters and its request body, valid-ish from the schemas and then mutated, with odd
 * methods, headers and credentials mixed in.
 */

const OPENAPI_FILE = new URL('../../docs/api/openapi.json', import.meta.url);

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
}

export interface Operation {
  method: string;
  template: string;
  path: Parameter[];
  query: Parameter[];
  /** Media type → schema of the request body, when the operation takes one. */
  body?: Record<string, JsonSchema>;
}

export function loadOpenApi(): OpenApiDocument {
  return JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as OpenApiDocument;
}

export function operations(doc: OpenApiDocument): Operation[] {
  const found: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = op.parameters ?? [];
      found.push({
        method: method.toUpperCase(),
        template,
        path: parameters.filter((p) => p.in === 'path'),
        query: parameters.filter((p) => p.in === 'query'),
        body: op.requestBody
          ? Object.fromEntries(
              Object.entries(op.requestBody.content).map(([type, media]) => [type, media.schema]),
            )
          : undefined,
      });
    }
  }
  return found;
}

/** A generated request before it is put on the wire (printable as a counterexample). */
export interface ApiCase {
  route: string;
  method: string;
  path: string;
  query: string;
  auth: Auth;
  headers: [string, string][];
  body?: ApiBody;
}

export type ApiBody =
  | { value: unknown; mutation: Mutation; encoding: Encoding; contentType: string | undefined }
  | { bytes: number[]; contentType: string | undefined };

function pathValue(param: Parameter): fc.Arbitrary<string> {
  const plain = (...values: string[]) => fc.constantFrom(...values.map(encodeURIComponent));
  const odd = { weight: 3, arbitrary: oddSegment };
  const uuid = { weight: 1, arbitrary: fc.uuid() };
  switch (param.name) {
    case 'thread_id':
      return fc.oneof(
        { weight: 10, arbitrary: plain(knownId('threadId')) },
        { weight: 1, arbitrary: plain(knownId('otherThreadId')) },
        uuid,
        odd,
      );
    case 'run_id':
      return fc.oneof({ weight: 6, arbitrary: plain(knownId('runId')) }, uuid, odd);
    case 'assistant_id':
      return fc.oneof(
        { weight: 6, arbitrary: plain('atolye', ASSISTANT_UUID, knownId('assistantId')) },
        uuid,
        odd,
      );
    case 'cron_id':
      return fc.oneof({ weight: 6, arbitrary: plain(knownId('cronId')) }, uuid, odd);
    case 'path':
      return oddFilePath;
    default:
      return fc.oneof(
        { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map(encode) },
        uuid,
        odd,
      );
  }
}

/** Percent-encodes text; a lone surrogate (which encodeURIComponent refuses) as its CESU bytes. */
export function encode(text: string): string {
  return text
    .split(/([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/)
    .map((part) => {
      const unit = part.length === 1 ? part.charCodeAt(0) : -1;
      if (unit < 0xd800 || unit > 0xdfff) return encodeURIComponent(part);
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    })
    .join('');
}

const oddQueryValue = fc.constantFrom(
  '',
  '-1',
  '0',
  '1e309',
  'NaN',
  'true',
  '%00',
  '%ff',
  'x'.repeat(5_000),
  '[]',
  '1&limit=2',
);

function queryPart(param: Parameter, ctx: SchemaContext): fc.Arbitrary<string | undefined> {
  const value = fc.oneof(
    {
      weight: 3,
      arbitrary: valueOf(param.schema, ctx).map((v) =>
        encode(typeof v === 'string' ? v : JSON.stringify(v)),
      ),
    },
    { weight: 1, arbitrary: oddQueryValue },
  );
  return fc.option(
    value.map((v) => `${encodeURIComponent(param.name)}=${v}`),
    { freq: 2, nil: undefined },
  );
}

function bodyFor(op: Operation, ctx: SchemaContext): fc.Arbitrary<ApiBody | undefined> {
  const types = Object.entries(op.body ?? {});
  const json = types.find(([type]) => type === 'application/json');
  const structured: fc.Arbitrary<ApiBody> = fc.record({
    value: json ? seeded(json[1], ctx) : anyJson,
    mutation,
    encoding,
    contentType,
  });
  const binary: fc.Arbitrary<ApiBody> = fc.record({
    bytes: fc.oneof(
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 600 }),
      fc.constantFrom<number[]>([0x1f, 0x8b, 8, 0, 0, 0], [0x50, 0x4b, 3, 4, 20, 0, 0, 0]),
    ),
    contentType: fc.constantFrom<string | undefined>(
      'application/gzip',
      'application/zip',
      'application/octet-stream',
      undefined,
    ),
  });
  if (types.some(([type]) => type !== 'application/json')) return fc.oneof(structured, binary);
  if (op.body) return structured;
  return fc.option(structured, { freq: 6, nil: undefined });
}

const ODD_METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PROPFIND',
  'FOO',
];

export function apiCase(doc: OpenApiDocument): fc.Arbitrary<ApiCase> {
  const ctx: SchemaContext = {
    resolve: (ref) => doc.components.schemas[ref.replace('#/components/schemas/', '')] ?? {},
    overrides: fieldOverrides(),
  };
  return fc.constantFrom(...operations(doc)).chain((op) =>
    fc
      .record({
        method: fc.oneof(
          { weight: 15, arbitrary: fc.constant(op.method) },
          { weight: 1, arbitrary: fc.constantFrom(...ODD_METHODS) },
        ),
        values: fc.tuple(...op.path.map((param) => pathValue(param))),
        query: fc.tuple(
          ...op.query.map((param) => queryPart(param, ctx)),
          fc.option(fc.constantFrom('unknown=1', 'limit=1&limit=2', '%=%', '&&'), {
            freq: 8,
            nil: undefined,
          }),
        ),
        auth,
        headers: fc.array(oddHeader, { maxLength: 2 }),
        body: bodyFor(op, ctx),
      })
      .map(({ method, values, query, auth, headers, body }) => {
        let path = op.template;
        op.path.forEach((param, index) => {
          path = path.replace(`{${param.name}}`, values[index] as string);
        });
        return {
          route: `${op.method} ${op.template}`,
          method,
          path,
          query: query.filter((part): part is string => part !== undefined).join('&'),
          auth,
          headers,
          body,
        };
      }),
  );
}

/** The case as bytes on the wire, the known ids of the moment in place of their markers. */
export function toWire(c: ApiCase, keys: Keys, limitBytes: number, known: KnownIds): WireRequest {
  const headers: [string, string][] = [...authHeaders(c.auth, keys), ...c.headers];
  let body: Buffer | undefined;
  if (c.body && 'bytes' in c.body) {
    body = Buffer.from(c.body.bytes);
  } else if (c.body) {
    const value = withForced(c.route, mutate(c.body.value, c.body.mutation));
    body = encodeBody(value, c.body.encoding, limitBytes);
    // Latin-1 keeps every byte as it was, invalid UTF-8 included.
    if (body.length <= limitBytes)
      body = Buffer.from(resolveKnown(body.toString('latin1'), known), 'latin1');
  }
  if (c.body?.contentType !== undefined) headers.push(['content-type', c.body.contentType]);
  const path = resolveKnown(c.path, known);
  return { method: c.method, path: c.query ? `${path}?${c.query}` : path, headers, body };
}
