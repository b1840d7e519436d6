import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, transform, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { AtolyeError, errorMessage } from '../errors.js';
import { describeFailure } from '../runtime/bundle/esbuild.js';

/**
 * The `atolye` command, built ahead with esbuild so `npx atolye` starts without compiling
 * TypeScript. bin/cli-build.js reads the record this writes and starts the build it names, or
 * builds again when a file the build read has changed since.
 */

/** The command's source, relative to the project root. */
export const CLI_ENTRY = 'src/cli/main.ts';
/** Where builds go, relative to the project root (git-ignored, like all of dist/). */
export const CLI_OUT_DIR = 'dist/cli';
/** The build record: `{ entry, inputs }`, read by bin/cli-build.js. */
export const BUILD_RECORD = 'build.json';

/** Files that shape the build without being bundled: a change to them must rebuild too. */
const BUILD_INPUTS = ['src/cli/build.ts', 'tsconfig.json'];
/**
 * A file changed this close to the start of the build may have changed after esbuild read it
 * (file times come from a coarse clock): it is recorded as changed, so the next start rebuilds.
 */
const CLOCK_SLACK_MS = 100;
/** A build that stopped being current is kept this long for commands still loading its chunks. */
const RETIRED_KEEP_MS = 60 * 60 * 1000;
/** The name `import.meta.url` is rewritten to in modules that find files beside their source. */
const SOURCE_URL = '__atolyeSourceUrl';

export interface CliBuildOptions {
  /** The checkout: sources are read from it and the build is written under it. */
  rootDir: string;
  /** Defaults to dist/cli under rootDir. */
  outDir?: string;
}

/** What bin/cli-build.js reads: the build to start, and each input's mtime when it was read. */
export interface BuildRecord {
  /** The entry module, relative to the out folder, forward slashes. */
  entry: string;
  /** Project-relative path → mtimeMs (0: changed during the build). */
  inputs: Record<string, number>;
}

export interface CliBuild {
  /** Absolute path of the entry module (it exports `main`). */
  entry: string;
  record: BuildRecord;
  /** esbuild's account of the build (its output paths name the folder `build`, not the hash). */
  metafile: Metafile;
  ms: number;
}

/**
 * Builds the CLI into its own content-named folder under outDir, then points the build record at
 * it. Concurrent builds (parallel test processes, a developer's shells) never expose a half-written
 * build: the folder appears whole by rename, and the record is replaced by rename last.
 */
export async function buildCli(options: CliBuildOptions): Promise<CliBuild> {
  const started = Date.now();
  const rootDir = path.resolve(options.rootDir);
  const outDir = path.resolve(rootDir, options.outDir ?? CLI_OUT_DIR);
  // esbuild lays out the files for a folder at the same depth as the real one, whose name (a hash
  // of the output) is not known until it has run: relative paths in the output stay right.
  const layoutDir = path.join(outDir, 'build');
  let outputs: { path: string; contents: Uint8Array }[];
  let metafile: Metafile;
  try {
    ({ outputFiles: outputs, metafile } = await build(esbuildOptions(rootDir, layoutDir)));
  } catch (error) {
    throw new AtolyeError(
      'CLI_BUILD_FAILED',
      `cannot build the atolye CLI from ${CLI_ENTRY}; fix the source and run it again:\n${describeFailure(error, rootDir)}`,
    );
  }

  const hash = createHash('sha256');
  for (const file of outputs)
    hash.update(path.relative(layoutDir, file.path)).update(file.contents);
  const buildId = hash.digest('hex').slice(0, 16);
  await writeBuild(outDir, buildId, layoutDir, outputs);

  const record: BuildRecord = {
    entry: `${buildId}/main.js`,
    inputs: await inputTimes(rootDir, [...Object.keys(metafile.inputs), ...BUILD_INPUTS], started),
  };
  const previous = await readRecord(outDir);
  await writeAtomically(path.join(outDir, BUILD_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  await retire(outDir, buildId, previous);
  return { entry: path.join(outDir, record.entry), record, metafile, ms: Date.now() - started };
}

function esbuildOptions(
  rootDir: string,
  layoutDir: string,
): BuildOptions & { write: false; metafile: true } {
  return {
    entryPoints: { main: path.join(rootDir, CLI_ENTRY) },
    outdir: layoutDir,
    absWorkingDir: rootDir,
    bundle: true,
    // Every `await import()` of a command's implementation becomes a chunk loaded on use, so
    // `atolye --help` loads the command definitions and little else.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // node_modules stay where they are: imported by name at run time, native addons included.
    packages: 'external',
    sourcemap: 'linked',
    // Class and function names survive, so `error.name` and stack frames stay readable.
    keepNames: true,
    // src/cli/typescript.ts: this code is the build, so importing a function's source needs tsx.
    define: { ATOLYE_BUILT_CLI: 'true' },
    metafile: true,
    plugins: [sourceRelativeUrls(rootDir, layoutDir)],
    write: false,
    logLevel: 'silent',
  };
}

/**
 * Modules that find files beside their source (`new URL('./x', import.meta.url)`, the project
 * root) keep finding them from the build: their `import.meta.url` becomes their source file's URL,
 * relative to the chunk they land in, so a moved checkout keeps working.
 */
function sourceRelativeUrls(rootDir: string, layoutDir: string): Plugin {
  return {
    name: 'atolye-source-relative-urls',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const fromChunk = path.relative(layoutDir, args.path).split(path.sep).join('/');
        // Replaces the expression only (not text in strings), as TypeScript without types.
        const { code } = await transform(source, {
          loader: 'ts',
          format: 'esm',
          target: 'node20',
          sourcefile: path.relative(rootDir, args.path),
          sourcemap: 'inline',
          define: { 'import.meta.url': SOURCE_URL },
          tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
        });
        // On the first line, so the source map of the module's own code stays line-true.
        const prelude = `const ${SOURCE_URL} = new URL(${JSON.stringify(fromChunk)}, import.meta.url).href; `;
        return { contents: prelude + code, loader: 'js' };
      });
    },
  };
}

async function writeBuild(
  outDir: string,
  buildId: string,
  layoutDir: string,
  outputs: { path: string; contents: Uint8Array }[],
): Promise<void> {
  const target = path.join(outDir, buildId);
  if (await exists(target)) return; // the same output, written by an earlier or concurrent build
  const staging = path.join(outDir, `.staging-${randomUUID()}`);
  try {
    for (const file of outputs) {
      const destination = path.join(staging, path.relative(layoutDir, file.path));
      await mkdir(path.dirname(destination), { recursive: true });
      await writeFile(destination, file.contents);
    }
    await rename(staging, target);
  } catch (error) {
    // Another process renamed the same build into place first: theirs is this one.
    if (!(await exists(path.join(target, 'main.js')))) {
      throw new AtolyeError(
        'CLI_BUILD_FAILED',
        `cannot write the atolye CLI build to ${target}: ${errorMessage(error)}`,
      );
    }
  } finally {
    // Left behind only when the folder could not be written at all; a later build removes it.
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function inputTimes(
  rootDir: string,
  files: string[],
  started: number,
): Promise<Record<string, number>> {
  const inputs: Record<string, number> = {};
  for (const file of [...new Set(files)].sort()) {
    if (file.split('/').includes('node_modules')) continue;
    const { mtimeMs } = await stat(path.join(rootDir, file));
    inputs[file] = mtimeMs >= started - CLOCK_SLACK_MS ? 0 : mtimeMs;
  }
  return inputs;
}

async function readRecord(outDir: string): Promise<BuildRecord | undefined> {
  try {
    return JSON.parse(await readFile(path.join(outDir, BUILD_RECORD), 'utf8')) as BuildRecord;
  } catch {
    return undefined; // no build yet, or one from a crashed writer: nothing to retire
  }
}

/**
 * Marks the build the record named until now as retired (its folder's mtime) and removes builds
 * retired over an hour ago, and staging folders left by a build that crashed.
 */
async function retire(
  outDir: string,
  current: string,
  previous: BuildRecord | undefined,
): Promise<void> {
  const now = new Date();
  const previousId = previous?.entry.split('/')[0];
  if (previousId !== undefined && previousId !== current) {
    await utimes(path.join(outDir, previousId), now, now).catch(() => undefined);
  }
  for (const entry of await readdir(outDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === current || entry.name === previousId) continue;
    const folder = path.join(outDir, entry.name);
    const retired = await stat(folder).catch(() => undefined);
    if (retired && now.getTime() - retired.mtimeMs > RETIRED_KEEP_MS) {
      await rm(folder, { recursive: true, force: true });
    }
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}
