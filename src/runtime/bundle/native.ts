import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';

/** Packages whose presence as a dependency means "this package loads a compiled addon". */
const ADDON_LOADERS = [
  'bindings',
  'node-gyp-build',
  'prebuild-install',
  'node-pre-gyp',
  '@mapbox/node-pre-gyp',
];

/** What the plugin learned during one esbuild run. */
export interface NativeFindings {
  /** Native packages it kept out of the bundle. */
  external: Set<string>;
  /** Packages found only through a `.node` file after their JavaScript was bundled: build again. */
  rebuild: Set<string>;
  /** `.node` files outside any package, which no deploy target could install. */
  strayAddons: Set<string>;
}

export function emptyFindings(): NativeFindings {
  return { external: new Set(), rebuild: new Set(), strayAddons: new Set() };
}

/**
 * Keeps native modules (better-sqlite3 and anything with a `.node` addon) out of bundles: a compiled
 * addon cannot be inlined into JavaScript, so the package stays an import and the manifest lists it
 * for the deploy target to install.
 */
export function nativeModules(findings: NativeFindings, nodePaths: readonly string[]): Plugin {
  const nativeByDir = new Map<string, boolean>();
  const isNative = (dir: string): boolean => {
    let native = nativeByDir.get(dir);
    if (native === undefined) {
      native = isNativePackage(dir);
      nativeByDir.set(dir, native);
    }
    return native;
  };
  return {
    name: 'atolye-native-modules',
    setup(build) {
      // Bare specifiers only: relative and absolute imports are the project's own code.
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (isBuiltin(args.path)) return undefined;
        const name = packageName(args.path);
        const dir = findPackageDir(name, args.resolveDir, nodePaths);
        if (dir === undefined || !isNative(dir)) return undefined;
        findings.external.add(name);
        return { path: args.path, external: true };
      });
      build.onResolve({ filter: /\.node$/ }, (args) => {
        const owner = owningPackage(args.importer);
        if (owner === undefined)
          findings.strayAddons.add(`${args.path} (loaded by ${args.importer})`);
        else if (!findings.external.has(owner)) findings.rebuild.add(owner);
        return { path: args.path, external: true };
      });
    },
  };
}

/** `@scope/pkg/sub` → `@scope/pkg`; `pkg/sub` → `pkg`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Node's lookup: `node_modules/<name>` in each ancestor of `fromDir`, then the extra node paths. */
export function findPackageDir(
  name: string,
  fromDir: string,
  nodePaths: readonly string[] = [],
): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  return nodePaths
    .map((root) => path.join(root, name))
    .find((dir) => existsSync(path.join(dir, 'package.json')));
}

/** A package builds or loads a compiled addon: it has a binding.gyp, says `gypfile`, or uses an addon loader. */
export function isNativePackage(dir: string): boolean {
  if (existsSync(path.join(dir, 'binding.gyp'))) return true;
  let manifest: { gypfile?: unknown; dependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    return false; // unreadable package.json: esbuild will report the real problem when it resolves it
  }
  if (manifest.gypfile === true) return true;
  return ADDON_LOADERS.some((loader) => manifest.dependencies?.[loader] !== undefined);
}

/** The package a file in node_modules belongs to (the last `node_modules/<name>` in its path). */
export function owningPackage(file: string): string | undefined {
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const first = parts[at + 1] ?? '';
  return first.startsWith('@') ? `${first}/${parts[at + 2] ?? ''}` : first;
}
