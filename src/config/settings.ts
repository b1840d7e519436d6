import convict from 'convict';
import { AtolyeError } from '../errors.js';
import { valueProblems } from './check-values.js';
import { ConfigError } from './config-error.js';
import { readKey, SCHEMA_LEAVES } from './leaves.js';
import { schema, type AtolyeConfig } from './schema.js';

/**
 * Settings: the part of the configuration a function declares (`defineFunction({ settings })`).
 * The host resolves the configuration once and hands each worker exactly these values, so a
 * worker never loads convict nor reads config/*.json (where, in development, the host's signing
 * secret lives). Secret keys are never settings: they reach a function as declared `secrets`.
 */

/** The values a worker receives: the declared sections and keys, nested as in the configuration. */
export type SettingValues = Record<string, unknown>;

function coveredKeys(path: string): string[] {
  return Object.keys(SCHEMA_LEAVES).filter((key) => key === path || key.startsWith(`${path}.`));
}

/** Why each declared path cannot be a setting; empty when all of them can. */
export function settingProblems(paths: readonly string[]): string[] {
  const problems: string[] = [];
  for (const path of paths) {
    const keys = coveredKeys(path);
    if (keys.length === 0) {
      problems.push(`setting "${path}" is not a configuration key; ${suggestion(path)}`);
      continue;
    }
    const leaf = SCHEMA_LEAVES[path];
    if (leaf?.sensitive) {
      const variable = leaf.env === undefined ? '' : ` declare ${leaf.env} in secrets instead`;
      problems.push(`setting "${path}" holds a secret, which is never a setting:${variable}`);
    }
  }
  return problems;
}

function suggestion(path: string): string {
  const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
  const known = new Set<string>();
  for (const key of Object.keys(SCHEMA_LEAVES)) {
    if (parent === '') known.add(key.split('.')[0] as string);
    else if (key.startsWith(`${parent}.`) && !SCHEMA_LEAVES[key]?.sensitive)
      known.add(key.slice(parent.length + 1).split('.')[0] as string);
  }
  if (known.size === 0) return `see src/config/schema.ts for the known keys`;
  return `known ${parent === '' ? 'sections' : `keys of "${parent}"`}: ${[...known].join(', ')}`;
}

/**
 * The declared settings' values from `config`: each path's key, or every key of its section,
 * leaving out secret keys. A path the schema does not know is an error naming it.
 */
export function resolveSettings(config: AtolyeConfig, paths: readonly string[]): SettingValues {
  const problems = settingProblems(paths);
  if (problems.length > 0) {
    throw new AtolyeError(
      'SETTINGS_INVALID',
      `the declared settings cannot be resolved:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  const values: SettingValues = {};
  for (const key of paths.flatMap(coveredKeys)) {
    if (SCHEMA_LEAVES[key]?.sensitive) continue;
    const parts = key.split('.');
    let node = values;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as SettingValues;
    node[parts.at(-1) as string] = structuredClone(readKey(config, key));
  }
  return values;
}

/**
 * The environment variables that set the declared settings, for a remote target: its function
 * containers run their own host, which reads the configuration from its environment.
 */
export function settingVariables(paths: readonly string[]): string[] {
  const variables = new Set<string>();
  for (const key of paths.flatMap(coveredKeys)) {
    const leaf = SCHEMA_LEAVES[key];
    if (leaf?.env !== undefined && !leaf.sensitive) variables.add(leaf.env);
  }
  return [...variables].sort();
}

/**
 * `config` with the variables of `environ` laid over it, validated as the loader does: the view
 * of a host that starts its workers in an environment other than its own (tests, embedding).
 */
export function withEnvironment(config: AtolyeConfig, environ: NodeJS.ProcessEnv): AtolyeConfig {
  const instance = convict<AtolyeConfig>(schema, { env: environ, args: [] });
  // load() lays the environment over what it loads, as the loader's precedence says.
  instance.load(structuredClone(config));
  const overlaid = instance.getProperties();
  const problems = valueProblems(overlaid, (key) => {
    const variable = SCHEMA_LEAVES[key]?.env;
    return variable !== undefined && environ[variable] !== undefined
      ? `environment variable ${variable}`
      : "the host's configuration";
  });
  if (problems.length > 0) {
    throw new ConfigError(
      'Invalid configuration for the workers (from the environment they are given):',
      problems,
    );
  }
  return overlaid;
}
