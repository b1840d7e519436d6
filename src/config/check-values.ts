import { errorMessage } from '../errors.js';
import { readKey, SCHEMA_LEAVES } from './leaves.js';

/**
 * Checks every key of a layered configuration with its schema `format`, the check convict would
 * run, and words each failure itself: the key, what is wrong, the value (unless the key is
 * sensitive), where it came from and the form expected (the key's doc). Empty when all pass.
 */
export function valueProblems(config: unknown, sourceOf: (key: string) => string): string[] {
  const problems: string[] = [];
  for (const [key, leaf] of Object.entries(SCHEMA_LEAVES)) {
    const value = readKey(config, key);
    // An assertion can only be called through an annotated name; nothing is narrowed here.
    const check: (value: unknown) => void = leaf.format;
    try {
      check(value);
    } catch (error) {
      const shown = leaf.sensitive || !isShown(value) ? '' : `: value was ${JSON.stringify(value)}`;
      problems.push(
        `${key}: ${errorMessage(error)}${shown} (from ${sourceOf(key)}). Expected: ${leaf.doc}`,
      );
    }
  }
  return problems;
}

/** NaN and the infinities are what convict made of a string that is no number: not shown. */
function isShown(value: unknown): boolean {
  return value !== undefined && !(typeof value === 'number' && !Number.isFinite(value));
}
