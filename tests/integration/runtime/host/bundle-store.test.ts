import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { contentVersion, type Manifest } from '../../../../src/runtime/bundle/index.js';
import { BundleStore } from '../../../../src/runtime/host/bundle-store.js';
import { tempDir, writeFiles } from '../../../helpers/tmp.js';

function manifestFor(functions: Record<string, string>): Manifest {
  return {
    version: '000000000000',
    builtAt: new Date(0).toISOString(),
    functions: Object.entries(functions).map(([name, code]) => ({
      name,
      description: '',
      limits: {
        timeoutMs: 1000,
        memoryMb: 64,
        concurrency: 1,
        minWorkers: 0,
        maxWorkers: 1,
        idleMs: 1000,
        retries: 0,
        queueSize: 1,
      },
      secrets: [],
      version: contentVersion(code),
      bytes: code.length,
      entry: `functions/${name}/index.mjs`,
      external: [],
    })),
  };
}

describe('BundleStore', () => {
  let work: ReturnType<typeof tempDir>;
  beforeEach(() => (work = tempDir()));
  afterEach(() => work.cleanup());

  it('stages each bundle under its version, with its source map, and checks its bytes', async () => {
    const dist = path.join(work.dir, 'dist');
    writeFiles(dist, {
      'functions/a/index.mjs': 'export default 1;',
      'functions/a/index.mjs.map': '{}',
    });
    const store = new BundleStore(path.join(work.dir, 'bundles'));
    const manifest = manifestFor({ a: 'export default 1;' });
    await store.stage(manifest, dist);
    const fn = manifest.functions[0]!;
    expect(readFileSync(store.path(fn), 'utf8')).toBe('export default 1;');
    expect(existsSync(`${store.path(fn)}.map`)).toBe(true);
    expect(await store.has(fn)).toBe(true);

    writeFiles(dist, { 'functions/b/index.mjs': 'tampered' });
    await expect(store.stage(manifestFor({ b: 'original' }), dist)).rejects.toMatchObject({
      code: 'DEPLOY_BUNDLE_MISMATCH',
    });
    await expect(store.stage(manifestFor({ c: 'x' }), dist)).rejects.toMatchObject({
      code: 'DEPLOY_BUNDLE_MISSING',
    });
  });

  it('prunes every version that is not kept', async () => {
    const dist = path.join(work.dir, 'dist');
    const store = new BundleStore(path.join(work.dir, 'bundles'));
    const versions: Manifest[] = [];
    for (const code of ['v1', 'v2', 'v3']) {
      writeFiles(dist, { 'functions/a/index.mjs': code });
      versions.push(manifestFor({ a: code }));
      await store.stage(versions.at(-1)!, dist);
    }
    const [old, kept, current] = versions.map((manifest) => manifest.functions[0]!);

    const removed = await store.prune([kept!, current!]);
    expect(removed).toEqual([`a@${old!.version}`]);
    expect(await store.has(old!)).toBe(false);
    expect(await store.has(kept!)).toBe(true);
    expect(await store.has(current!)).toBe(true);
    expect(await new BundleStore(path.join(work.dir, 'missing')).prune([])).toEqual([]);
  });
});
