import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFiles } from '../../helpers/tmp.js';

const DEPS = fileURLToPath(new URL('./bundle-fixture-deps.ts', import.meta.url));
const NATIVE = fileURLToPath(new URL('./bundle-fixture-native.ts', import.meta.url));
const HEAVY = fileURLToPath(new URL('./bundle-fixture-heavy.ts', import.meta.url));

/** A relative `.js` import of a helper from `<functionsDir>/<name>/index.ts`: every loader (tsx, jest, esbuild) maps it. */
function importPath(functionsDir: string, name: string, target: string): string {
  const relative = path.relative(path.join(functionsDir, name), target).split(path.sep).join('/');
  return relative.replace(/\.ts$/, '.js');
}

/** Source of a fixture function; `body` replaces the whole declaration when given. */
export function fixtureSource(
  functionsDir: string,
  folder: string,
  options: { declaredName?: string; limits?: string; body?: string; imports?: string } = {},
): string {
  const declaration =
    options.body ??
    `export default defineFunction({
  name: ${JSON.stringify(options.declaredName ?? folder)},
  description: 'fixture ${folder}',
  input: z.object({ n: z.number() }),
  output: z.object({ n: z.number() }),
  limits: ${options.limits ?? '{ timeoutMs: 1000 }'},
  secrets: ['FIXTURE_SECRET'],
  handle: (input) => ({ n: input.n + 1 }),
});`;
  return [
    `import { defineFunction, z } from '${importPath(functionsDir, folder, DEPS)}';`,
    options.imports ?? '',
    declaration,
    '',
  ].join('\n');
}

/**
 * Writes fixture functions: `{ folder: options }`, in an ESM package as in the checkout (under
 * `module: NodeNext`, a .ts file outside any `"type": "module"` package compiles to CommonJS).
 */
export function writeFunctions(
  functionsDir: string,
  functions: Record<string, Parameters<typeof fixtureSource>[2]>,
): void {
  writeFiles(functionsDir, { 'package.json': { type: 'module', private: true } });
  writeFiles(
    functionsDir,
    Object.fromEntries(
      Object.entries(functions).map(([folder, options]) => [
        `${folder}/index.ts`,
        fixtureSource(functionsDir, folder, options),
      ]),
    ),
  );
}

/** The import line for better-sqlite3 from a fixture folder. */
export function nativeImport(functionsDir: string, folder: string): string {
  return `import { Database } from '${importPath(functionsDir, folder, NATIVE)}';`;
}

/** The import line for a dependency far over the default bundle budget. */
export function heavyImport(functionsDir: string, folder: string): string {
  return `import { AIMessage } from '${importPath(functionsDir, folder, HEAVY)}';`;
}
