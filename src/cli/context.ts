import type { AtolyeConfig } from '../config/index.js';
import type { Output } from './output.js';

/** What every command receives from the entry point. */
export interface CliContext {
  output: Output;
  /**
   * The environment variables the commands read (configuration, NO_COLOR, PATH for the system
   * check) and hand to the processes they start: the process's own at the entry point, a test's.
   */
  env: NodeJS.ProcessEnv;
  /** `--set key=value` flags, the highest configuration layer. */
  overrides(): Record<string, string>;
}

/**
 * The effective configuration of `cli.env`, the `--set` flags on top; `environment` (a flag
 * such as `--env production`) beats its ATOLYE_ENV. Loaded on use: the loader (convict) is more
 * than `atolye --help` should pay for.
 */
export async function loadCliConfig(cli: CliContext, environment?: string): Promise<AtolyeConfig> {
  const { loadConfig } = await import('../config/index.js');
  return loadConfig({ env: environment, environ: cli.env, overrides: cli.overrides() }).config;
}
