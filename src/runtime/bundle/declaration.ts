import { pathToFileURL } from 'node:url';
import { settingProblems } from '../../config/settings.js';
import { errorCodeOf, errorMessage } from '../../errors.js';
import { isFunctionDefinition, type FunctionDefinition } from '../contract.js';
import type { FunctionSource } from './discover.js';

export type LoadedDeclaration =
  | { ok: true; source: FunctionSource; definition: FunctionDefinition }
  | { ok: false; source: FunctionSource; problem: string };

/**
 * Imports a function's source in this process (the CLI runs under tsx) and checks its declaration:
 * `defineFunction` must accept it, it must be the default export, and its name must be its folder's.
 * A problem comes back as text, so the build can report every broken function at once.
 */
export async function loadDeclaration(source: FunctionSource): Promise<LoadedDeclaration> {
  const fail = (problem: string): LoadedDeclaration => ({ ok: false, source, problem });
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(source.entry).href)) as { default?: unknown };
  } catch (error) {
    // Duck-typed: the function may have loaded its own copy of the contract module.
    if (errorCodeOf(error) === 'FUNCTION_INVALID') return fail(errorMessage(error));
    return fail(`cannot be loaded: ${errorMessage(error)}`);
  }
  if (!('default' in module) || module.default === undefined) {
    return fail('has no default export; write `export default defineFunction({ ... })`');
  }
  const definition = module.default;
  if (!isFunctionDefinition(definition)) {
    return fail('its default export is not a defineFunction(...) result');
  }
  if (definition.name !== source.name) {
    return fail(
      `declares name "${definition.name}" but lives in folder "${source.name}"; the two must match`,
    );
  }
  // The contract checks a setting's form; only the schema, which the bundle never loads, knows it.
  const problems = settingProblems(definition.settings ?? []);
  if (problems.length > 0) {
    return fail(
      `function ${definition.name} is declared wrongly (FUNCTION_INVALID):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return { ok: true, source, definition };
}
