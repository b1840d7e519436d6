import { schema } from './schema.js';
import type { Setting } from './setting.js';

/** A key of the schema, whatever type its value has. */
export type SchemaLeaf = Setting<unknown>;

function flattenSchema(node: object, prefix = ''): Record<string, SchemaLeaf> {
  const leaves: Record<string, SchemaLeaf> = {};
  for (const [name, child] of Object.entries(node)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (child !== null && typeof child === 'object' && 'default' in child) {
      leaves[key] = child as SchemaLeaf;
    } else {
      Object.assign(leaves, flattenSchema(child as object, key));
    }
  }
  return leaves;
}

/** Every key of the schema by dotted name: its doc, format, default, variable and sensitivity. */
export const SCHEMA_LEAVES: Readonly<Record<string, SchemaLeaf>> = flattenSchema(schema);

/** Dotted names of every sensitive key of the schema. */
export const SENSITIVE_KEYS = Object.entries(SCHEMA_LEAVES)
  .filter(([, leaf]) => leaf.sensitive)
  .map(([key]) => key);

/** The value at a dotted key; undefined where the path leaves the object. */
export function readKey(config: unknown, key: string): unknown {
  let node: unknown = config;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
