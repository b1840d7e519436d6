import type { AtolyeConfig } from './schema.js';
import { readKey, SENSITIVE_KEYS } from './leaves.js';

export const MASK = '********';

/**
 * A deep copy of the configuration with every sensitive value replaced. convict's `sensitive`
 * only masks its own toString(); this is the copy every printout and log line must use.
 */
export function maskConfig(config: AtolyeConfig): Record<string, unknown> {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const key of SENSITIVE_KEYS) {
    const parts = key.split('.');
    let node = copy;
    for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
    const last = parts.at(-1) as string;
    node[last] = node[last] === '' ? '' : MASK;
  }
  return copy;
}

/** The non-empty secret values, for redaction of anything that might echo them. */
export function secretValues(config: AtolyeConfig): string[] {
  return SENSITIVE_KEYS.map((key) => readKey(config, key)).filter(
    (value): value is string => typeof value === 'string' && value.length > 0,
  );
}
