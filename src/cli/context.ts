import type { Output } from './output.js';

/** What every command receives from the entry point. */
export interface CliContext {
  output: Output;
  /** `--set key=value` flags, the highest configuration layer. */
  overrides(): Record<string, string>;
}
