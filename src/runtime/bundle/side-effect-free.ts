import type { Plugin } from 'esbuild';

/**
 * Packages whose modules do nothing when imported but whose package.json does not say so
 * (`"sideEffects": false`), so esbuild keeps every module their entry re-exports. Declaring it
 * here lets a bundle keep only what it uses: `@langchain/openai`'s index re-exports embeddings,
 * Azure clients and a dozen built-in tools whose `z` namespace imports pull all of zod's ~40
 * locale tables (≈ 360 KiB of a model step's bundle). Checked for each package: its modules only
 * declare classes, functions and constants; its bare imports are re-export artefacts of its own
 * build. A package is listed only after that check.
 */
export const SIDE_EFFECT_FREE_PACKAGES: readonly string[] = ['@langchain/openai'];

const NODE_MODULES = /[\\/]node_modules[\\/]/;

/**
 * esbuild's warning for a bare `import './x.js'` of a module marked side-effect free: the import
 * is dropped. In the project's own code that would silently lose whatever the import was for.
 */
export const DROPPED_BARE_IMPORT = 'ignored-bare-import';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Marks side-effect free the listed packages' modules (their entry and every file they import
 * inside themselves) and the project's own modules: importing one does nothing beyond defining
 * its exports (the house style), so a module none of whose exports a bundle uses is left out,
 * e.g. a barrel's neighbour that reads the whole configuration schema. A bare import of an own
 * module would be dropped; the bundler refuses one (DROPPED_BARE_IMPORT).
 */
export function sideEffectFree(packages: readonly string[] = SIDE_EFFECT_FREE_PACKAGES): Plugin {
  const names = packages.map(escape).join('|');
  const entry = new RegExp(`^(${names})(/|$)`);
  const inside = new RegExp(
    `[\\\\/]node_modules[\\\\/](${names.replace(/\\\//g, '[\\\\/]')})[\\\\/]`,
  );
  const again = Symbol('atolye-side-effect-free');
  return {
    name: 'atolye-side-effect-free',
    setup(build) {
      const resolve: Parameters<typeof build.onResolve>[1] = async (args) => {
        if (args.pluginData === again) return undefined;
        const relative = args.path.startsWith('.');
        const firstParty = relative && !NODE_MODULES.test(args.importer);
        if (!entry.test(args.path) && !(relative && inside.test(args.importer)) && !firstParty)
          return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: again,
        });
        if (resolved.errors.length > 0 || resolved.external) return undefined;
        return { ...resolved, sideEffects: false };
      };
      build.onResolve({ filter: /^[@a-z.]/ }, resolve);
    },
  };
}
