import { AtolyeError } from '../../../src/errors.js';
import { createManifest } from '../../../src/runtime/bundle/manifest.js';
import {
  contentVersion,
  Manifest,
  manifestVersion,
  parseManifest,
  readManifest,
  type ManifestFunction,
} from '../../../src/runtime/bundle/index.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

function entry(name: string, overrides: Partial<ManifestFunction> = {}): ManifestFunction {
  return {
    name,
    description: '',
    limits: {
      timeoutMs: 1000,
      memoryMb: 128,
      concurrency: 1,
      minWorkers: 0,
      maxWorkers: 1,
      idleMs: 1000,
      retries: 0,
      queueSize: 8,
    },
    secrets: [],
    version: contentVersion(name),
    bytes: 10,
    entry: `functions/${name}/index.mjs`,
    external: [],
    ...overrides,
  };
}

describe('manifest', () => {
  it('versions content by the first 12 hex digits of its sha256', () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(contentVersion('abc')).toBe('ba7816bf8f01');
    expect(contentVersion(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01');
  });

  it('derives the build version from every function version, whatever the order', () => {
    const a = entry('alpha');
    const b = entry('beta');
    expect(manifestVersion([a, b])).toBe(manifestVersion([b, a]));
    expect(manifestVersion([a, b])).not.toBe(
      manifestVersion([a, { ...b, version: contentVersion('changed') }]),
    );
    expect(manifestVersion([a])).not.toBe(manifestVersion([a, b]));
  });

  it('creates a manifest sorted by name that its own schema accepts', () => {
    const manifest = createManifest(
      [entry('zeta'), entry('alpha')],
      new Date('2030-01-02T03:04:05.000Z'),
    );
    expect(manifest.functions.map((fn) => fn.name)).toEqual(['alpha', 'zeta']);
    expect(manifest.builtAt).toBe('2030-01-02T03:04:05.000Z');
    expect(Manifest.parse(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
  });

  it.each([
    [
      'an entry outside the build folder',
      { functions: [entry('a', { entry: '../a/index.mjs' })] },
      'functions.0.entry',
    ],
    [
      'an absolute entry',
      { functions: [entry('a', { entry: '/srv/a/index.mjs' })] },
      'functions.0.entry',
    ],
    [
      'an entry that is no .mjs bundle',
      { functions: [entry('a', { entry: 'functions/a/index.js' })] },
      'functions.0.entry',
    ],
    ['a malformed version', { version: 'v1' }, 'version'],
    ['duplicate names', { functions: [entry('a'), entry('a')] }, 'functions'],
    [
      'minWorkers above maxWorkers',
      { functions: [entry('a', { limits: { ...entry('a').limits, minWorkers: 2 } })] },
      'functions.0.limits.minWorkers',
    ],
    ['an unknown field', { extra: true }, '(root)'],
  ])('refuses %s', (_label, change, field) => {
    const manifest = { ...createManifest([entry('a')], new Date()), ...change };
    const error = (() => {
      try {
        parseManifest(JSON.stringify(manifest), 'dist/manifest.json');
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AtolyeError);
    expect((error as AtolyeError).code).toBe('MANIFEST_INVALID');
    expect((error as AtolyeError).message).toContain('dist/manifest.json is not a valid manifest');
    expect((error as AtolyeError).message).toContain(`- ${field}: `);
  });

  it('names text that is not JSON', () => {
    expect(() => parseManifest('{', 'x.json')).toThrow(/^x\.json is not JSON: /);
  });

  it('reads a manifest from a build folder, and nothing from a folder without one', async () => {
    const dir = tempDir();
    try {
      expect(await readManifest(dir.dir)).toBeUndefined();
      const manifest = createManifest([entry('a')], new Date());
      writeFiles(dir.dir, { 'manifest.json': manifest });
      expect(await readManifest(dir.dir)).toEqual(manifest);
      writeFiles(dir.dir, { 'manifest.json': { functions: 'no' } });
      await expect(readManifest(dir.dir)).rejects.toThrow(/manifest\.json is not a valid manifest/);
    } finally {
      dir.cleanup();
    }
  });

  it('passes on read errors other than a missing file', async () => {
    const dir = tempDir();
    try {
      writeFiles(dir.dir, { 'manifest.json/inner': 'a folder where the file should be' });
      await expect(readManifest(dir.dir)).rejects.toMatchObject({ code: 'EISDIR' });
    } finally {
      dir.cleanup();
    }
  });
});
