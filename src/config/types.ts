/**
 * The configuration's types, for code that needs them without the schema's values. None is
 * written here by hand: `AtolyeConfig` is derived from the schema (src/config/schema.ts).
 */
export type { AtolyeConfig } from './schema.js';
export {
  ENVIRONMENTS,
  LOG_LEVELS,
  SANDBOX_MODES,
  type Environment,
  type ModelPrice,
  type PriceTable,
  type SandboxMode,
} from './values.js';
