import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../../src/config/paths.js';

const BANNER = [
  "import { createRequire as __atolyeCreateRequire } from 'node:module';",
  'const require = __atolyeCreateRequire(import.meta.url);',
].join('\n');

/**
 * Bundles one function as the build does (an ES module whose entry starts the IPC worker), into
 * `outDir/<name>.mjs`. `source` is a path relative to the project root, e.g. `functions/echo/index.ts`.
 */
export async function bundleFunction(source: string, outDir: string): Promise<string> {
  const root = projectRoot();
  const name = path.basename(path.dirname(source));
  const wrapper = path.join(outDir, `${name}.entry.ts`);
  writeFileSync(
    wrapper,
    [
      `import definition from ${JSON.stringify(path.join(root, source))};`,
      `import { serveWorker } from ${JSON.stringify(path.join(root, 'src/runtime/worker/serve.ts'))};`,
      'serveWorker(definition);',
      'export default definition;',
      '',
    ].join('\n'),
  );
  const outfile = path.join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [wrapper],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    banner: { js: BANNER },
    sourcemap: 'linked',
    logLevel: 'silent',
  });
  return outfile;
}
