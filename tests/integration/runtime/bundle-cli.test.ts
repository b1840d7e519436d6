import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main.js';
import { Manifest } from '../../../src/runtime/bundle/index.js';
import { captureOutput } from '../../helpers/output.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { writeFunctions } from './bundle-fixtures.js';

describe('atolye build', () => {
  let work: ReturnType<typeof tempDir>;
  beforeEach(() => {
    work = tempDir('atolye-build-cli-');
  });
  afterEach(() => work.cleanup());

  it('bundles the real functions and prints the size report', async () => {
    const outDir = path.join(work.dir, 'dist');
    const output = captureOutput();
    expect(await main(['build', '--out', outDir], { output })).toBe(0);
    const manifest = Manifest.parse(
      JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')),
    );
    const echo = manifest.functions.find((fn) => fn.name === 'echo');
    expect(echo).toBeDefined();
    const lines = output.stdout().split('\n');
    expect(lines[0]).toMatch(/^function\s+size\s+version\s+external$/);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^echo\\s+\\d+\\.\\d KiB\\s+${echo?.version}\\s+-$`)),
    );
    expect(output.stdout()).toMatch(
      new RegExp(
        `built \\d+ functions? in \\d+ ms → .*manifest\\.json \\(version ${manifest.version}\\)`,
      ),
    );
    for (const name of ['plan', 'act', 'tools', 'review', 'finalize']) {
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^${name}\\s+\\d+\\.\\d KiB\\s`)),
      );
    }
    // Empty stderr: no function is over its size budget.
    expect(output.stderr()).toBe('');
  });

  it('--only takes comma-separated names and --functions another folder', async () => {
    const functionsDir = path.join(work.dir, 'functions');
    const outDir = path.join(work.dir, 'out');
    writeFunctions(functionsDir, { alpha: {}, beta: {}, gamma: {} });
    const output = captureOutput();
    expect(
      await main(['build', '--functions', functionsDir, '--out', outDir, '--only', 'alpha,gamma'], {
        output,
      }),
    ).toBe(0);
    const manifest = Manifest.parse(
      JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')),
    );
    expect(manifest.functions.map((fn) => fn.name)).toEqual(['alpha', 'gamma']);
    expect(existsSync(path.join(outDir, 'functions/beta'))).toBe(false);
    expect(output.stdout()).toContain('built 2 functions');
  });

  it('exits 1 and names every broken function', async () => {
    const functionsDir = path.join(work.dir, 'functions');
    writeFunctions(functionsDir, {
      alpha: { declaredName: 'beta' },
      gamma: { limits: '{ memoryMb: 1 }' },
    });
    const output = captureOutput();
    expect(
      await main(['build', '--functions', functionsDir, '--out', path.join(work.dir, 'out')], {
        output,
      }),
    ).toBe(1);
    expect(output.stderr()).toMatch(/^atolye: build failed: 2 functions of 2 cannot be built/);
    expect(output.stderr()).toContain('declares name "beta" but lives in folder "alpha"');
    expect(output.stderr()).toMatch(/gamma .*\n\s+- limits\.memoryMb: /);
    expect(output.stdout()).toBe('');
  });

  it('fails a bundle over its size budget, naming its size and largest inputs, and writes nothing', async () => {
    const functionsDir = path.join(work.dir, 'functions');
    writeFiles(functionsDir, {
      'heavy/blob.ts': `export const BLOB = '${'x'.repeat(400_000)}';\n`,
    });
    writeFunctions(functionsDir, {
      heavy: { imports: "import { BLOB } from './blob.js';", limits: '{}' },
    });
    // The handler must use the blob, or esbuild drops it.
    const source = path.join(functionsDir, 'heavy/index.ts');
    writeFiles(functionsDir, {
      'heavy/index.ts': readFileSync(source, 'utf8').replace(
        'input.n + 1',
        'input.n + BLOB.length',
      ),
    });
    const output = captureOutput();
    const out = path.join(work.dir, 'out');
    expect(await main(['build', '--functions', functionsDir, '--out', out], { output })).toBe(1);
    expect(output.stderr()).toMatch(
      /heavy \(.*heavy\/index\.ts\): its bundle is \d{3}\.\d KiB, over its 350\.0 KiB budget .*largest inputs: \S*heavy\/blob\.ts 390\.\d KiB/s,
    );
    expect(existsSync(path.join(out, 'manifest.json'))).toBe(false);
  });
});
