import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { AtolyeError } from '../../errors.js';

/** A function folder found on disk: `functions/<name>/index.ts`. */
export interface FunctionSource {
  /** The folder name, which the declaration's `name` must equal. */
  name: string;
  dir: string;
  entry: string;
}

export const ENTRY_FILE = 'index.ts';

/**
 * Lists every `<functionsDir>/<name>/index.ts` in name order. Folders without an index.ts (shared
 * helpers) and hidden or `_`-prefixed folders are not functions. `only` narrows the list; naming a
 * function that does not exist is an error listing the ones that do.
 */
export function discoverFunctions(
  functionsDir: string,
  only?: readonly string[],
): FunctionSource[] {
  if (!existsSync(functionsDir) || !statSync(functionsDir).isDirectory()) {
    throw new AtolyeError('BUILD_FAILED', `no functions folder at ${functionsDir}`);
  }
  const found = readdirSync(functionsDir, { withFileTypes: true })
    .filter(
      (item) => item.isDirectory() && !item.name.startsWith('.') && !item.name.startsWith('_'),
    )
    .map((item) => ({
      name: item.name,
      dir: path.join(functionsDir, item.name),
      entry: path.join(functionsDir, item.name, ENTRY_FILE),
    }))
    .filter((fn) => existsSync(fn.entry))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (found.length === 0) {
    throw new AtolyeError(
      'BUILD_FAILED',
      `no functions in ${functionsDir} (expected <name>/${ENTRY_FILE})`,
    );
  }
  if (only === undefined || only.length === 0) return found;

  const known = new Set(found.map((fn) => fn.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new AtolyeError(
      'BUILD_FAILED',
      `no function named ${unknown.map((name) => `"${name}"`).join(', ')} in ${functionsDir}; ` +
        `there are: ${[...known].join(', ')}`,
    );
  }
  const wanted = new Set(only);
  return found.filter((fn) => wanted.has(fn.name));
}
