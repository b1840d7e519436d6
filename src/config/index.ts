export {
  loadConfig,
  configEnvironment,
  ConfigError,
  SENSITIVE_KEYS,
  type LoadOptions,
  type LoadedConfig,
} from './load.js';
export { maskConfig, secretValues, MASK } from './mask.js';
export { resolveRelease } from './release.js';
export { projectRoot, resolveFromRoot } from './paths.js';
export { ENVIRONMENTS, type AtolyeConfig, type Environment } from './schema.js';
