import type { AtolyeConfig } from '../config/index.js';
import type { Output } from './output.js';

/** What every command receives from the entry point. */
export interface CliContext {
  output: Output;
  /** `--set key=value` flags, the highest configuration layer. */
  overrides(): Record<string, string>;
}

/**
 * The effective configuration, the `--set` flags on top. Loaded on use: the loader (convict) is
 * more than `atolye --help` should pay for.
 */
export async function loadCliConfig(cli: CliContext, env?: string): Promise<AtolyeConfig> {
  const { loadConfig } = await import('../config/index.js');
  return loadConfig({ env, overrides: cli.overrides() }).config;
}
