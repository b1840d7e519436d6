import fc from 'fast-check';
import { anyJson, hostileString, hostileUrl } from './arbitraries.js';

/**
 * Values shaped by a JSON Schema (the OpenAPI document's, or a function contract's through zod's
 * toJSONSchema): valid most of the time, with a hostile string where text goes now and then.
 */

/** The subset of JSON Schema the OpenAPI document and zod's toJSONSchema produce. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

/** Arbitraries by property name, for fields whose free values would reach the network or a clock. */
export type FieldOverrides = Record<string, fc.Arbitrary<unknown>>;

export interface SchemaContext {
  /** Resolves `#/components/schemas/X`. */
  resolve(ref: string): JsonSchema;
  overrides: FieldOverrides;
}

const MAX_SCHEMA_DEPTH = 6;

/** Values shaped by `schema`: valid most of the time, sometimes a hostile string where text goes. */
export function valueOf(schema: JsonSchema, ctx: SchemaContext, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) return valueOf(ctx.resolve(schema.$ref), ctx, depth);
  if (depth > MAX_SCHEMA_DEPTH) return fc.constant({});
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices && choices.length > 0)
    return fc.oneof(...choices.map((s) => valueOf(s, ctx, depth + 1)));
  if (schema.allOf && schema.allOf.length > 0)
    return valueOf(schema.allOf[0] as JsonSchema, ctx, depth + 1);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return schema.properties ? objectOf(schema, ctx, depth) : anyJson;
  return fc.oneof(...types.map((type) => typedValue(type, schema, ctx, depth)));
}

function typedValue(
  type: string,
  schema: JsonSchema,
  ctx: SchemaContext,
  depth: number,
): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({
        min: schema.minimum ?? -5,
        max: schema.maximum ?? Math.max(50, (schema.minimum ?? 0) + 50),
      });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'string':
      return stringOf(schema);
    case 'array':
      return fc.array(schema.items ? valueOf(schema.items, ctx, depth + 1) : anyJson, {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case 'object':
      return objectOf(schema, ctx, depth);
    default:
      return anyJson;
  }
}

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'date-time') {
    return fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString());
  }
  if (schema.format === 'uri') return hostileUrl;
  if (schema.pattern) {
    const pattern = patternArbitrary(schema.pattern);
    if (pattern)
      return fc.oneof({ weight: 4, arbitrary: pattern }, { weight: 1, arbitrary: hostileString });
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 40));
  return fc.oneof(
    { weight: 5, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 1, arbitrary: hostileString },
  );
}

function patternArbitrary(pattern: string): fc.Arbitrary<string> | undefined {
  const regex = new RegExp(pattern);
  try {
    // fast-check cannot generate from a lookahead; strip a leading one and filter instead.
    const plain = pattern.replace(/^\^\(\?![^)]*\)/, '^');
    return fc
      .stringMatching(new RegExp(plain))
      .filter((value) => regex.test(value) && value.length <= 200);
  } catch {
    return undefined;
  }
}

function objectOf(schema: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  if (names.length === 0)
    return fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 });
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of names) {
    model[name] = ctx.overrides[name] ?? valueOf(properties[name] as JsonSchema, ctx, depth + 1);
  }
  const required = schema.required?.filter((name) => name in model) ?? [];
  // Every optional field is a chance to be refused: the bare object reaches past validation.
  const bare = Object.fromEntries(
    required.map((name) => [name, model[name] as fc.Arbitrary<unknown>]),
  );
  return fc.oneof(fc.record(bare), fc.record(model, { requiredKeys: required }));
}
