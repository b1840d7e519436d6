import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Message, type Metafile, type OutputFile } from 'esbuild';
import { AtolyeError, errorMessage } from '../../errors.js';
import type { FunctionSource } from './discover.js';
import { emptyFindings, nativeModules, type NativeFindings } from './native.js';
import { DROPPED_BARE_IMPORT, sideEffectFree } from './side-effect-free.js';

/** The worker shim every bundle starts; resolved from this file so it works from any checkout. */
const SERVE_MODULE = fileURLToPath(new URL('../worker/serve.ts', import.meta.url));

/**
 * Set by the banner, before any bundled module runs, so `initMs` covers the whole module init
 * (external packages imported with `import` are evaluated before it, as ESM hoists them).
 */
const STARTED_AT = '__atolyeStartedAt';

/**
 * Goes before everything else in the bundle: the start mark, and a real `require` so CommonJS
 * dependencies inlined into the ESM bundle can still load built-ins and external (native) packages.
 */
export const BUNDLE_BANNER = [
  `const ${STARTED_AT} = performance.now();`,
  "import { createRequire as __atolyeCreateRequire } from 'node:module';",
  'const require = __atolyeCreateRequire(import.meta.url);',
].join('\n');

/** Where a function's bundle lives, relative to the build folder (forward slashes: it goes in the manifest). */
export function bundleEntry(name: string): string {
  return `functions/${name}/index.mjs`;
}

export interface BundleOptions {
  outDir: string;
  /** esbuild's working directory: paths in the metafile and source map are relative to it. */
  rootDir: string;
  minify: boolean;
}

export interface Bundle {
  code: Uint8Array;
  map: Uint8Array;
  metafile: Metafile;
  /** Native packages left as imports, sorted. */
  external: string[];
}

export type BundleResult = { ok: true; bundle: Bundle } | { ok: false; problem: string };

/**
 * Bundles one function into a single self-contained ESM file: the function, its dependencies and
 * the worker shim, with native packages left external. Nothing is written; the caller writes the
 * files once every function has built.
 */
export async function bundleFunction(
  source: FunctionSource,
  options: BundleOptions,
): Promise<BundleResult> {
  let pass = await runEsbuild(source, options, []);
  // A package found only through its `.node` file was bundled around the addon: build again with it
  // external. The first pass saw every reachable addon, so a second pass finds nothing new.
  if (pass.ok && pass.rebuild.length > 0) pass = await runEsbuild(source, options, pass.rebuild);
  return pass.ok ? { ok: true, bundle: pass.bundle } : pass;
}

type Pass = { ok: true; bundle: Bundle; rebuild: string[] } | { ok: false; problem: string };

async function runEsbuild(
  source: FunctionSource,
  options: BundleOptions,
  external: string[],
): Promise<Pass> {
  const findings = emptyFindings();
  let outputFiles: OutputFile[];
  let metafile: Metafile;
  let warnings: Message[];
  try {
    ({ outputFiles, metafile, warnings } = await build(
      esbuildOptions(source, options, external, findings),
    ));
  } catch (error) {
    return { ok: false, problem: `esbuild failed:\n${describeFailure(error, options.rootDir)}` };
  }
  const dropped = warnings.filter(
    (warning) =>
      warning.id === DROPPED_BARE_IMPORT && !/node_modules/.test(warning.location?.file ?? ''),
  );
  if (dropped.length > 0) {
    return {
      ok: false,
      problem: `imports a module of its own only for its side effects, which the bundle leaves out (the project's modules are side-effect free); import what it exports instead:\n${describeFailure({ errors: dropped }, options.rootDir)}`,
    };
  }
  if (findings.strayAddons.size > 0) {
    const addons = [...findings.strayAddons].join(', ');
    return {
      ok: false,
      problem: `loads native addons outside any package, which cannot be bundled or installed: ${addons}`,
    };
  }
  const all = new Set([...external, ...findings.external]);
  return {
    ok: true,
    rebuild: [...findings.rebuild].filter((name) => !all.has(name)),
    bundle: {
      code: outputOf(outputFiles, '.mjs'),
      map: outputOf(outputFiles, '.mjs.map'),
      metafile,
      external: [...all].sort(),
    },
  };
}

function outputOf(files: OutputFile[], suffix: string): Uint8Array {
  const file = files.find((candidate) => candidate.path.endsWith(suffix));
  if (file === undefined) throw new AtolyeError('BUILD_FAILED', `esbuild wrote no ${suffix} file`);
  return file.contents;
}

function esbuildOptions(
  source: FunctionSource,
  options: BundleOptions,
  external: string[],
  findings: NativeFindings,
): BuildOptions & { write: false; metafile: true } {
  const nodePaths = [path.join(options.rootDir, 'node_modules')];
  return {
    stdin: {
      contents: entrySource(source),
      resolveDir: source.dir,
      // Shows in the source map as a virtual file beside index.ts; never an absolute path.
      sourcefile: 'atolye-entry.js',
      loader: 'js',
    },
    outfile: path.join(options.outDir, bundleEntry(source.name)),
    absWorkingDir: options.rootDir,
    // Functions in a folder outside the checkout still use the checkout's dependencies.
    nodePaths,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: BUNDLE_BANNER },
    sourcemap: 'linked',
    metafile: true,
    minify: options.minify,
    // Class and function names survive minification, so `error.name` and stack frames stay readable.
    keepNames: true,
    legalComments: 'eof',
    external,
    plugins: [sideEffectFree(), nativeModules(findings, nodePaths)],
    write: false,
    logLevel: 'silent',
  };
}

/** The generated entry: import the declaration, serve it when started by the host, export it. */
export function entrySource(source: FunctionSource): string {
  let serve = path.relative(source.dir, SERVE_MODULE).split(path.sep).join('/');
  if (!serve.startsWith('.')) serve = `./${serve}`;
  return [
    `import definition from './index.ts';`,
    `import { serveWorker } from ${JSON.stringify(serve)};`,
    `serveWorker(definition, ${STARTED_AT});`,
    'export default definition;',
    '',
  ].join('\n');
}

/** esbuild's errors, one line each with the file relative to `rootDir`, line and column. */
export function describeFailure(error: unknown, rootDir: string): string {
  const messages = (error as { errors?: Message[] }).errors;
  if (!Array.isArray(messages) || messages.length === 0) return `  ${errorMessage(error)}`;
  return messages
    .map((message) => {
      const at = message.location;
      const where = at
        ? `${path.relative(rootDir, path.resolve(rootDir, at.file))}:${at.line}:${at.column}: `
        : '';
      return `  ${where}${message.text}`;
    })
    .join('\n');
}
