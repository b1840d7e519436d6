import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { AtolyeError } from '../../../src/errors.js';
import { buildFunctions } from '../../../src/runtime/bundle/index.js';
import { BUNDLE_BANNER, bundleFunction, entrySource } from '../../../src/runtime/bundle/esbuild.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { fixtureSource, heavyImport, nativeImport, writeFunctions } from './bundle-fixtures.js';

const run = promisify(execFile);

async function buildError(promise: Promise<unknown>): Promise<AtolyeError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AtolyeError))
    throw new Error(`expected an AtolyeError, got ${String(error)}`);
  return error;
}

describe('buildFunctions on fixture functions', () => {
  let work: ReturnType<typeof tempDir>;
  let functionsDir: string;
  let outDir: string;
  beforeEach(() => {
    work = tempDir('atolye-bundle-fixtures-');
    functionsDir = path.join(work.dir, 'functions');
    outDir = path.join(work.dir, 'dist');
  });
  afterEach(() => work.cleanup());

  it('reports every broken declaration together, naming each function and its problem, and writes nothing', async () => {
    writeFunctions(functionsDir, {
      alpha: {},
      'bad-name': { declaredName: 'Bad_Name' },
      mismatch: { declaredName: 'other' },
      workers: { limits: '{ minWorkers: 3, maxWorkers: 1 }' },
      'no-default': {
        body: "export const fn = defineFunction({ name: 'no-default', input: z.object({}), output: z.object({}), handle: () => ({}) });",
      },
      'not-a-function': { body: 'export default { name: "not-a-function" };' },
    });
    const error = await buildError(buildFunctions({ functionsDir, outDir }));
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.message).toContain('5 functions of 6 cannot be built');
    expect(error.message).toMatch(
      /bad-name \(.*bad-name\/index\.ts\): function Bad_Name is declared wrongly:\n\s+- name must match/,
    );
    expect(error.message).toMatch(
      /mismatch .*declares name "other" but lives in folder "mismatch"/,
    );
    expect(error.message).toMatch(
      /workers .*: function workers is declared wrongly:\n\s+- limits\.minWorkers: minWorkers must not exceed maxWorkers/,
    );
    expect(error.message).toMatch(/no-default .*has no default export/);
    expect(error.message).toMatch(
      /not-a-function .*default export is not a defineFunction\(\.\.\.\) result/,
    );
    expect(error.message).not.toMatch(/\balpha\b/);
    expect(existsSync(outDir)).toBe(false);
  });

  it('refuses a setting the configuration schema does not know, or a secret as a setting, naming each', async () => {
    const declare = (settings: string) => ({
      body: `export default defineFunction({ name: 'NAME', input: z.object({}), output: z.object({}), settings: ${settings}, handle: () => ({}) });`,
    });
    const typo = declare("['workspace.rot', 'sandbox']");
    const secret = declare("['model.apiKey']");
    writeFunctions(functionsDir, {
      typo: { body: typo.body.replace('NAME', 'typo') },
      secret: { body: secret.body.replace('NAME', 'secret') },
    });
    const error = await buildError(buildFunctions({ functionsDir, outDir }));
    expect(error.message).toContain('2 functions of 2 cannot be built');
    expect(error.message).toMatch(
      /typo .*function typo is declared wrongly \(FUNCTION_INVALID\):\n\s+- setting "workspace\.rot" is not a configuration key; known keys of "workspace": root,/,
    );
    expect(error.message).toMatch(
      /secret .*- setting "model\.apiKey" holds a secret, which is never a setting: declare OPENAI_API_KEY in secrets instead/s,
    );
    expect(existsSync(outDir)).toBe(false);
  });

  it('fails a bundle over its budget, naming its size and largest inputs, unless built readable', async () => {
    writeFunctions(functionsDir, {
      bloated: {
        imports: heavyImport(functionsDir, 'bloated'),
        body: `export default defineFunction({ name: 'bloated', input: z.object({}), output: z.object({ kind: z.string() }), handle: () => ({ kind: AIMessage.name }) });`,
      },
    });
    const error = await buildError(buildFunctions({ functionsDir, outDir }));
    expect(error.message).toMatch(
      /bloated .*its bundle is [\d.]+ KiB, over its 350\.0 KiB budget .*largest inputs: (langsmith|@langchain\/core) /s,
    );
    expect(existsSync(outDir)).toBe(false);
    const readable = await buildFunctions({ functionsDir, outDir, minify: false });
    expect(readable.functions.map((fn) => fn.name)).toEqual(['bloated']);
  });

  it('refuses an import of an own module only for its side effects, which the bundle would drop', async () => {
    writeFiles(functionsDir, { 'bare/setup.ts': 'export const ready = true;\n' });
    writeFunctions(functionsDir, { bare: { imports: "import './setup.js';" } });
    const error = await buildError(buildFunctions({ functionsDir, outDir }));
    expect(error.message).toMatch(/bare .*imports a module of its own only for its side effects/s);
  });

  it('reports a function that cannot be loaded at all', async () => {
    writeFunctions(functionsDir, {
      broken: { body: "import './missing-module.js';\nexport default 1;" },
    });
    const error = await buildError(buildFunctions({ functionsDir, outDir }));
    expect(error.message).toMatch(/broken .*cannot be loaded: .*missing-module/s);
  });

  it('--only rebuilds the named functions and keeps the others from the previous manifest', async () => {
    writeFunctions(functionsDir, { alpha: {}, beta: {}, gamma: {} });
    const first = await buildFunctions({ functionsDir, outDir, only: ['alpha'] });
    expect(first.functions.map((fn) => fn.name)).toEqual(['alpha']);
    expect(readdirSync(path.join(outDir, 'functions'))).toEqual(['alpha']);
    expect(first.functions[0]).toMatchObject({
      limits: { timeoutMs: 1000 },
      secrets: ['FIXTURE_SECRET'],
      external: [],
    });

    const second = await buildFunctions({ functionsDir, outDir, only: ['gamma', 'beta'] });
    expect(second.functions.map((fn) => fn.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(second.functions[0]).toEqual(first.functions[0]);
    expect(second.version).not.toBe(first.version);

    const error = await buildError(buildFunctions({ functionsDir, outDir, only: ['delta'] }));
    expect(error.message).toBe(
      `no function named "delta" in ${functionsDir}; there are: alpha, beta, gamma`,
    );
  });

  it('a full build drops bundles of functions that no longer exist', async () => {
    writeFunctions(functionsDir, { alpha: {}, beta: {} });
    await buildFunctions({ functionsDir, outDir });
    expect(readdirSync(path.join(outDir, 'functions'))).toEqual(['alpha', 'beta']);
    rmSync(path.join(functionsDir, 'beta'), { recursive: true });
    const manifest = await buildFunctions({ functionsDir, outDir });
    expect(manifest.functions.map((fn) => fn.name)).toEqual(['alpha']);
    expect(readdirSync(path.join(outDir, 'functions'))).toEqual(['alpha']);
  });

  it('keeps a native package (binding.gyp) external and lists it in the manifest', async () => {
    writeFunctions(functionsDir, {
      sqlite: {
        imports: nativeImport(functionsDir, 'sqlite'),
        body: `export default defineFunction({
  name: 'sqlite', input: z.object({}), output: z.object({ open: z.boolean() }),
  handle: () => { const db = new Database(':memory:'); const open = db.open; db.close(); return { open }; },
});`,
      },
    });
    const manifest = await buildFunctions({ functionsDir, outDir });
    expect(manifest.functions[0]?.external).toEqual(['better-sqlite3']);
    const code = readFileSync(path.join(outDir, 'functions/sqlite/index.mjs'), 'utf8');
    expect(code).toMatch(/from\s*"better-sqlite3"|require\("better-sqlite3"\)/);
    const meta = readFileSync(path.join(outDir, 'functions/sqlite/meta.json'), 'utf8');
    expect(meta).not.toContain('node_modules/better-sqlite3/');
  });

  it('finds a package that loads a .node addon without binding.gyp and builds again with it external', async () => {
    writeFiles(work.dir, {
      'node_modules/prebuilt-addon/package.json': {
        name: 'prebuilt-addon',
        version: '1.0.0',
        main: 'index.js',
      },
      'node_modules/prebuilt-addon/index.js':
        "exports.load = () => require('./prebuilds/addon.node');\n",
      'node_modules/prebuilt-addon/index.d.ts': 'export declare function load(): unknown;\n',
    });
    writeFunctions(functionsDir, {
      addon: { imports: "import { load } from 'prebuilt-addon';\nvoid load;" },
    });
    const manifest = await buildFunctions({ functionsDir, outDir });
    expect(manifest.functions[0]?.external).toEqual(['prebuilt-addon']);
    const code = readFileSync(path.join(outDir, 'functions/addon/index.mjs'), 'utf8');
    expect(code).toContain('"prebuilt-addon"');
    expect(code).not.toContain('addon.node');
  });

  it('inlines a CommonJS dependency whose require() of a built-in works in the ESM bundle', async () => {
    writeFiles(work.dir, {
      'node_modules/cjs-dep/package.json': { name: 'cjs-dep', version: '1.0.0', main: 'index.js' },
      'node_modules/cjs-dep/index.js':
        "const os = require('node:os');\nexports.cpus = () => os.cpus().length;\n",
      'node_modules/cjs-dep/index.d.ts': 'export declare function cpus(): number;\n',
    });
    writeFunctions(functionsDir, { cjs: { imports: "import { cpus } from 'cjs-dep';" } });
    const source = path.join(functionsDir, 'cjs/index.ts');
    writeFiles(functionsDir, {
      'cjs/index.ts': readFileSync(source, 'utf8').replace('input.n + 1', 'input.n + cpus()'),
    });
    const manifest = await buildFunctions({ functionsDir, outDir });
    expect(manifest.functions[0]?.external).toEqual([]);
    // Without the createRequire banner esbuild's shim throws "Dynamic require of "node:os" is not supported".
    const bundle = pathToFileURL(path.join(outDir, 'functions/cjs/index.mjs')).href;
    const script = `const fn = (await import(${JSON.stringify(bundle)})).default; process.stdout.write(JSON.stringify(await fn.handle({ n: 0 })));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH },
    });
    expect(JSON.parse(stdout)).toEqual({ n: os.cpus().length });
  });

  it('refuses a .node addon that belongs to no package', async () => {
    writeFiles(functionsDir, {
      'stray/native.cjs': "exports.load = () => require('./build/stray.node');\n",
      'stray/native.d.cts': 'export declare function load(): unknown;\n',
    });
    writeFunctions(functionsDir, {
      stray: { imports: "import { load } from './native.cjs';\nvoid load;" },
    });
    const error = await buildError(buildFunctions({ functionsDir, outDir }));
    expect(error.message).toMatch(/stray .*loads native addons outside any package.*stray\.node/);
  });

  it('reports esbuild errors with file, line and column', async () => {
    writeFiles(functionsDir, { 'bad/index.ts': 'export default {\n  oops: ,\n};\n' });
    const source = {
      name: 'bad',
      dir: path.join(functionsDir, 'bad'),
      entry: path.join(functionsDir, 'bad/index.ts'),
    };
    const result = await bundleFunction(source, { outDir, rootDir: work.dir, minify: true });
    expect(result).toEqual({
      ok: false,
      problem: expect.stringMatching(
        /^esbuild failed:\n {2}functions\/bad\/index\.ts:2:8: Unexpected ","/,
      ),
    });
  });

  it('generates an entry that serves the declaration with the banner’s start mark and exports it', () => {
    const source = {
      name: 'x',
      dir: path.join(functionsDir, 'x'),
      entry: path.join(functionsDir, 'x/index.ts'),
    };
    const entry = entrySource(source);
    expect(entry).toContain("import definition from './index.ts';");
    expect(entry).toMatch(
      /import \{ serveWorker \} from "\.\.\/.*src\/runtime\/worker\/serve\.ts";/,
    );
    expect(entry).toContain('serveWorker(definition, __atolyeStartedAt);');
    expect(BUNDLE_BANNER.split('\n')[0]).toBe('const __atolyeStartedAt = performance.now();');
  });

  it('keeps the source of a fixture readable by every loader', () => {
    // The generated import is relative and ends in .js, which tsx, jest and esbuild all map to .ts.
    expect(fixtureSource(functionsDir, 'alpha')).toMatch(
      /^import \{ defineFunction, z \} from '\.\.\/.*bundle-fixture-deps\.js';/,
    );
  });
});
