import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MASK, maskConfig, SENSITIVE_KEYS, type AtolyeConfig } from '../config/index.js';
import { AtolyeError, errorMessage } from '../errors.js';
import { listDir } from './layout.js';

/**
 * Writes the configuration without its secrets into `target`: `config.json` (the effective
 * configuration, masked) and `files/<name>.json` (each config file, its sensitive keys masked;
 * testing.json and production overlays may hold real secrets).
 */
export function writeMaskedConfig(config: AtolyeConfig, configDir: string, target: string): void {
  mkdirSync(path.join(target, 'files'), { recursive: true });
  writeFileSync(
    path.join(target, 'config.json'),
    `${JSON.stringify(maskConfig(config), null, 2)}\n`,
  );
  for (const name of listDir(configDir).filter((file) => file.endsWith('.json'))) {
    const file = path.join(configDir, name);
    let layer: unknown;
    try {
      layer = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new AtolyeError(
        'CONFIG_INVALID',
        `cannot read ${file} for the backup: ${errorMessage(error)}; fix or remove the file`,
      );
    }
    const masked = maskLayer(layer);
    writeFileSync(path.join(target, 'files', name), `${JSON.stringify(masked, null, 2)}\n`);
  }
}

/** A config file's content with every sensitive key masked, nested or written dotted. */
export function maskLayer(layer: unknown): unknown {
  if (layer === null || typeof layer !== 'object' || Array.isArray(layer)) return layer;
  const copy = structuredClone(layer) as Record<string, unknown>;
  for (const key of SENSITIVE_KEYS) {
    if (key in copy) copy[key] = maskValue(copy[key]);
    const parts = key.split('.');
    let node: unknown = copy;
    for (const part of parts.slice(0, -1)) {
      node =
        node !== null && typeof node === 'object'
          ? (node as Record<string, unknown>)[part]
          : undefined;
    }
    const last = parts.at(-1) as string;
    if (node !== null && typeof node === 'object' && last in node) {
      const record = node as Record<string, unknown>;
      record[last] = maskValue(record[last]);
    }
  }
  return copy;
}

function maskValue(value: unknown): unknown {
  return value === '' ? '' : MASK;
}
