import { schema } from '../../config/schema.js';

/**
 * Environment variables of the `model` settings. A worker sees only the variables its function
 * declares (`defineFunction({ secrets })`), so model-calling functions declare these; `tools`
 * declares none of them and never sees the key.
 */
export const MODEL_ENV_VARIABLES: readonly string[] = Object.freeze(
  Object.values(schema.model as Record<string, { env?: string }>)
    .map((leaf) => leaf.env)
    .filter((name): name is string => typeof name === 'string'),
);
