import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AtolyeError } from '../../errors.js';
import { projectRoot, resolveFromRoot } from '../../config/paths.js';
import { overBudget } from './budget.js';
import { loadDeclaration } from './declaration.js';
import { discoverFunctions, type FunctionSource } from './discover.js';
import { bundleEntry, bundleFunction, type Bundle } from './esbuild.js';
import {
  contentVersion,
  createManifest,
  MANIFEST_FILE,
  META_FILE,
  readManifest,
  type Manifest,
  type ManifestFunction,
} from './manifest.js';

export interface BuildOptions {
  /** The build folder; relative paths resolve against the project root. Default `dist`. */
  outDir?: string;
  /** The folder of `<name>/index.ts` functions; relative to the project root. Default `functions`. */
  functionsDir?: string;
  /** Rebuild only these functions; the others keep their entries from the existing manifest. */
  only?: readonly string[];
  /** Default true. Names survive either way (keepNames), and the source map maps stack traces back. */
  minify?: boolean;
}

interface Built {
  entry: ManifestFunction;
  bundle: Bundle;
}

/**
 * Bundles every function with esbuild into `<outDir>/functions/<name>/index.mjs` (with its source
 * map and metafile) and writes `<outDir>/manifest.json`. Every broken function is reported in one
 * error; nothing is written unless all of them built.
 */
export async function buildFunctions(options: BuildOptions = {}): Promise<Manifest> {
  const root = projectRoot();
  const outDir = resolveFromRoot(options.outDir ?? 'dist');
  const functionsDir = resolveFromRoot(options.functionsDir ?? 'functions');
  const all = discoverFunctions(functionsDir);
  const selected = discoverFunctions(functionsDir, options.only);

  // Imports run one at a time: a declaration's module may have side effects on load.
  const declarations = [];
  for (const source of selected) declarations.push(await loadDeclaration(source));

  const minify = options.minify ?? true;
  const problems: { source: FunctionSource; problem: string }[] = [];
  const built: Built[] = [];
  await Promise.all(
    declarations.map(async (declaration) => {
      if (!declaration.ok) {
        problems.push({ source: declaration.source, problem: declaration.problem });
        return;
      }
      const result = await bundleFunction(declaration.source, { outDir, rootDir: root, minify });
      if (!result.ok) {
        problems.push({ source: declaration.source, problem: result.problem });
        return;
      }
      const { definition } = declaration;
      const entry: ManifestFunction = {
        name: definition.name,
        description: definition.description,
        limits: definition.limits,
        secrets: [...definition.secrets],
        settings: [...definition.settings],
        version: contentVersion(result.bundle.code),
        bytes: result.bundle.code.byteLength,
        entry: bundleEntry(definition.name),
        external: result.bundle.external,
      };
      // The budgets are for what ships: a readable (unminified) build is for looking at.
      const tooBig = minify ? overBudget(entry, result.bundle.metafile) : undefined;
      if (tooBig !== undefined) {
        problems.push({ source: declaration.source, problem: tooBig });
        return;
      }
      built.push({ bundle: result.bundle, entry });
    }),
  );
  if (problems.length > 0) throw buildFailure(problems, selected.length, root);

  const partial = options.only !== undefined && options.only.length > 0;
  const kept = partial ? await keptEntries(outDir, new Set(all.map((fn) => fn.name)), built) : [];
  const manifest = createManifest([...kept, ...built.map((fn) => fn.entry)], new Date());

  if (!partial) await rm(path.join(outDir, 'functions'), { recursive: true, force: true });
  for (const fn of built) await writeBundle(outDir, fn);
  await writeAtomically(path.join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** For a partial build: the previous manifest's entries that still exist and were not rebuilt. */
async function keptEntries(
  outDir: string,
  existing: Set<string>,
  built: Built[],
): Promise<ManifestFunction[]> {
  const previous = await readManifest(outDir);
  const rebuilt = new Set(built.map((fn) => fn.entry.name));
  return (previous?.functions ?? []).filter(
    (fn) =>
      existing.has(fn.name) && !rebuilt.has(fn.name) && existsSync(path.join(outDir, fn.entry)),
  );
}

async function writeBundle(outDir: string, { entry, bundle }: Built): Promise<void> {
  const file = path.join(outDir, entry.entry);
  const dir = path.dirname(file);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(file, bundle.code);
  await writeFile(`${file}.map`, bundle.map);
  await writeFile(path.join(dir, META_FILE), JSON.stringify(bundle.metafile));
}

/** A reader (the host, a deploy) never sees a half-written manifest. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

function buildFailure(
  problems: { source: FunctionSource; problem: string }[],
  total: number,
  root: string,
): AtolyeError {
  const lines = [...problems]
    .sort((a, b) => (a.source.name < b.source.name ? -1 : 1))
    .map(({ source, problem }) => {
      const where = source.entry.startsWith(root + path.sep)
        ? path.relative(root, source.entry)
        : source.entry;
      return `  ${source.name} (${where}): ${problem.split('\n').join('\n    ')}`;
    });
  const count = problems.length === 1 ? '1 function' : `${problems.length} functions`;
  return new AtolyeError(
    'BUILD_FAILED',
    `build failed: ${count} of ${total} cannot be built\n${lines.join('\n')}`,
  );
}
