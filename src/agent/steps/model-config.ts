import type { PublicConfig } from '../../config/setting-paths.js';
import type { AtolyeConfig } from '../../config/types.js';

/** The model key's variable (model.apiKey): a declared secret, never a setting. */
export const MODEL_KEY_VARIABLE = 'OPENAI_API_KEY';

/**
 * A model step's configuration: the `model` settings the host resolved, and the key from the
 * worker's environment, where only functions that declare it receive it.
 */
export function modelConfig(
  model: PublicConfig['model'],
  env: NodeJS.ProcessEnv = process.env,
): Pick<AtolyeConfig, 'model'> {
  return { model: { ...model, apiKey: env[MODEL_KEY_VARIABLE] ?? '' } };
}
