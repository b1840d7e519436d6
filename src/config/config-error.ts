import { AtolyeError } from '../errors.js';

/**
 * A configuration that cannot be used, with every problem named. Its own module, so code that
 * only refuses a setting (the sandbox in a function bundle) does not load the config loader.
 */
export class ConfigError extends AtolyeError {
  readonly problems: string[];

  constructor(heading: string, problems: string[]) {
    super('CONFIG_INVALID', `${heading}\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
