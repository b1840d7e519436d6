import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import convict from 'convict';
import { errorMessage } from '../errors.js';
import { valueProblems } from './check-values.js';
import { ConfigError } from './config-error.js';
import { readKey, SCHEMA_LEAVES as LEAVES, SENSITIVE_KEYS } from './leaves.js';
import { resolveFromRoot } from './paths.js';
import {
  ENVIRONMENTS,
  REQUIRED_PRODUCTION_SECRETS,
  schema,
  type AtolyeConfig,
  type Environment,
} from './schema.js';

export interface LoadOptions {
  /** Environment to load; beats ATOLYE_ENV. */
  env?: string;
  /** Folder of base.json and <env>.json; defaults to ATOLYE_CONFIG_DIR or <root>/config. */
  configDir?: string;
  /** Environment variables to read (process.env by default). */
  environ?: NodeJS.ProcessEnv;
  /** `key=value` settings from CLI flags: the highest layer. */
  overrides?: Record<string, string>;
  /**
   * Refuse production without its secrets (default). Function workers turn this off: they
   * receive only the secrets they declare, and the host that started them already checked;
   * `atolye config show` reports them (`secretProblems`) beside the configuration instead.
   */
  checkProductionSecrets?: boolean;
}

export interface LoadedConfig {
  config: AtolyeConfig;
  /** Where the effective value of each key came from. */
  sourceOf(key: string): string;
  /** Dotted names of the sensitive keys. */
  sensitiveKeys: string[];
  /**
   * Why production would refuse its required secrets (missing, a development value, too short),
   * each naming the variable that sets it; empty outside production.
   */
  secretProblems(): string[];
}

interface Layer {
  label: string;
  values: Record<string, unknown>;
}

export { ConfigError } from './config-error.js';
export { readKey, SCHEMA_LEAVES, SENSITIVE_KEYS, type SchemaLeaf } from './leaves.js';

/**
 * The effective configuration as the environment variables that would set it, for a child process
 * (a function worker) that reads its configuration from its environment: it then sees the values
 * its parent got from files and `--set` flags too.
 */
export function configEnvironment(config: AtolyeConfig): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [key, leaf] of Object.entries(LEAVES)) {
    if (leaf.env === undefined) continue;
    const value = readKey(config, key);
    environment[leaf.env] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return environment;
}

/**
 * Layers schema defaults < config/base.json < config/<env>.json < $ATOLYE_CONFIG_FILE <
 * environment variables < CLI overrides, then validates strictly. Every problem is reported at
 * once, each naming the key, where its value came from and the form expected.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const environ = options.environ ?? process.env;
  const env = options.env ?? environ.ATOLYE_ENV ?? 'development';
  if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
    throw new ConfigError('Invalid configuration:', [
      `environment "${env}" is unknown: use one of ${ENVIRONMENTS.join(', ')} (ATOLYE_ENV or --env)`,
    ]);
  }
  const configDir = options.configDir ?? resolveFromRoot(environ.ATOLYE_CONFIG_DIR ?? 'config');
  const overrides = options.overrides ?? {};
  const problems: string[] = [];

  const layers: Layer[] = [];
  for (const file of [path.join(configDir, 'base.json'), path.join(configDir, `${env}.json`)]) {
    if (existsSync(file)) layers.push(readLayer(file, problems));
  }
  if (environ.ATOLYE_CONFIG_FILE) {
    const file = path.resolve(environ.ATOLYE_CONFIG_FILE);
    if (existsSync(file)) layers.push(readLayer(file, problems));
    else
      problems.push(
        `ATOLYE_CONFIG_FILE names ${file}, which does not exist: fix the path or unset it`,
      );
  }
  for (const layer of layers) problems.push(...unknownKeys(layer));
  for (const key of Object.keys(overrides)) {
    if (!(key in LEAVES)) problems.push(`${unknownKeyMessage(key)} (from flag --set ${key}=…)`);
  }

  const sourceOf = (key: string): string => {
    if (key in overrides) return `flag --set ${key}`;
    const variable = LEAVES[key]?.env;
    if (key === 'env' && options.env !== undefined) return 'flag --env';
    if (variable && environ[variable] !== undefined) return `environment variable ${variable}`;
    const layer = layers.findLast((candidate) => key in candidate.values);
    return layer ? layer.label : 'schema default';
  };

  // Unknown keys were reported above with their file; only known ones reach convict, which
  // layers them with the environment and coerces strings by each key's type.
  const instance = convict<AtolyeConfig>(schema, { env: environ, args: [] });
  for (const layer of layers) instance.load(unflatten(knownValues(layer.values)));
  instance.set('env', env as Environment);
  for (const [key, value] of Object.entries(knownValues(overrides))) instance.set(key, value);

  const config = instance.getProperties();
  problems.push(...valueProblems(config, sourceOf));
  if (problems.length > 0) throw invalid(env, problems);
  const secretProblems = (): string[] =>
    config.env === 'production' ? productionSecretProblems(config, configDir) : [];
  if (options.checkProductionSecrets !== false) {
    const missing = secretProblems();
    if (missing.length > 0) {
      throw new ConfigError(
        'Refusing to start in production: required secrets are missing or still development values:',
        missing,
      );
    }
  }
  return { config, sourceOf, sensitiveKeys: SENSITIVE_KEYS, secretProblems };
}

function invalid(env: string, problems: string[]): ConfigError {
  return new ConfigError(`Invalid configuration (environment "${env}"):`, problems);
}

function readLayer(file: string, problems: string[]): Layer {
  const label = `file ${path.relative(process.cwd(), file) || file}`;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`${label} must hold a JSON object of settings`);
      return { label, values: {} };
    }
    return { label, values: flattenValues(parsed as Record<string, unknown>) };
  } catch (error) {
    problems.push(`${label} is not valid JSON: ${errorMessage(error)}`);
    return { label, values: {} };
  }
}

function unknownKeys(layer: Layer): string[] {
  return Object.keys(layer.values)
    .filter((key) => !(key in LEAVES))
    .map((key) => `${unknownKeyMessage(key)} (in ${layer.label})`);
}

function unknownKeyMessage(key: string): string {
  const parent = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
  const siblings = Object.keys(LEAVES)
    .filter((candidate) => (parent ? candidate.startsWith(`${parent}.`) : true))
    .map((candidate) => (parent ? candidate.slice(parent.length + 1) : candidate));
  if (siblings.length === 0) {
    return `${key}: unknown setting; remove it or use a known key: ${Object.keys(LEAVES).join(', ')}`;
  }
  return `${key}: unknown setting; remove it or use a known key${parent ? ` of "${parent}"` : ''}: ${siblings.join(', ')}`;
}

function knownValues<T>(values: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(values).filter(([key]) => key in LEAVES));
}

function productionSecretProblems(config: AtolyeConfig, configDir: string): string[] {
  const developmentValues = new Set<unknown>();
  for (const env of ['development', 'testing'] satisfies Environment[]) {
    const file = path.join(configDir, `${env}.json`);
    if (!existsSync(file)) continue;
    const values = flattenValues(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
    for (const key of REQUIRED_PRODUCTION_SECRETS) developmentValues.add(values[key]);
  }
  const problems: string[] = [];
  for (const key of REQUIRED_PRODUCTION_SECRETS) {
    const value = readKey(config, key);
    const variable = LEAVES[key]?.env ?? key;
    if (typeof value !== 'string' || value.length === 0) {
      problems.push(
        `${key} is missing: set ${variable} or put it in the file named by ATOLYE_CONFIG_FILE`,
      );
    } else if (developmentValues.has(value) || /^(dev|test|change-?me|insecure)/i.test(value)) {
      problems.push(`${key} is still a development value: set ${variable} to a long random secret`);
    } else if (value.length < 16) {
      problems.push(
        `${key} is shorter than 16 characters: set ${variable} to a long random secret`,
      );
    }
  }
  return problems;
}

function flattenValues(node: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(node)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(key in LEAVES)) {
      Object.assign(values, flattenValues(value as Record<string, unknown>, key));
    } else {
      values[key] = value;
    }
  }
  return values;
}

function unflatten(values: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const parts = key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts.at(-1) as string] = value;
  }
  return root;
}
