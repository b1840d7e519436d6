import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { parse } from 'yaml';
import { toYaml, type YamlValue } from '../../../src/deploy/kubernetes/yaml.js';
import { generateTarget, parseTarget } from '../../../src/deploy/targets.js';
import { projectRoot } from '../../../src/config/index.js';
import { createManifest } from '../../../src/runtime/bundle/manifest.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

const manifest = createManifest(
  ['act', 'tools'].map((name) => ({
    name,
    description: name,
    limits: {
      timeoutMs: 60_000,
      memoryMb: 256,
      concurrency: 2,
      minWorkers: 0,
      maxWorkers: 3,
      idleMs: 30_000,
      retries: 1,
      queueSize: 64,
    },
    secrets: name === 'act' ? ['OPENAI_API_KEY'] : [],
    version: name === 'act' ? '0123456789ab' : 'ba9876543210',
    bytes: 10,
    entry: `functions/${name}/index.mjs`,
    external: [],
  })),
  new Date('2026-01-01T00:00:00Z'),
);

let work: ReturnType<typeof tempDir>;
beforeEach(() => {
  work = tempDir('atolye-targets-');
});
afterEach(() => work.cleanup());

/** A project folder holding dist/manifest.json (builtAt as given: it must not reach the output). */
function project(name: string, builtAt = manifest.builtAt): string {
  const root = path.join(work.dir, name);
  writeFiles(root, {
    'dist/manifest.json': `${JSON.stringify({ ...manifest, builtAt }, null, 2)}\n`,
  });
  return root;
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]),
  );
}

describe('deploy target dispatch', () => {
  it.each(['docker', 'kubernetes', 'modal'])(
    '%s: the same manifest gives the same bytes, whenever and wherever it is built',
    async (target) => {
      const a = project('a');
      const b = project('b', '2030-06-01T12:00:00.000Z');
      const first = await generateTarget(target, { root: a });
      const again = snapshot(first.outDir);
      await generateTarget(target, { root: a });
      const second = await generateTarget(target, { root: b });
      expect(first.outDir).toBe(path.join(a, 'deploy', target));
      expect(first.files).toEqual(Object.keys(again));
      expect(snapshot(first.outDir)).toEqual(again);
      expect(snapshot(second.outDir)).toEqual(again);
      const text = Object.values(again).join('\n');
      expect(text).not.toMatch(/20(26|30)-\d\d-\d\dT/);
      expect(text).toContain(manifest.version);
    },
  );

  it.each(['docker', 'kubernetes', 'modal'])(
    '%s: writes files the project formatter leaves as they are (format:check stays green)',
    async (target) => {
      const result = await generateTarget(target, { root: project('f') });
      const options = await prettier.resolveConfig(path.join(projectRoot(), 'package.json'));
      const checked = result.files.filter((file) => /\.(ya?ml|md|mjs)$/.test(file));
      expect(checked.length).toBeGreaterThan(0);
      for (const file of checked) {
        const text = readFileSync(path.join(result.outDir, file), 'utf8');
        expect([file, await prettier.check(text, { ...options, filepath: file })]).toEqual([
          file,
          true,
        ]);
      }
    },
  );

  it('writes to --out and leaves files it does not generate alone', async () => {
    const root = project('p');
    writeFiles(root, { 'out/k8s/keep.txt': 'mine' });
    const result = await generateTarget('kubernetes', { root, outDir: 'out/k8s' });
    expect(result.outDir).toBe(path.join(root, 'out/k8s'));
    expect(readFileSync(path.join(root, 'out/k8s/keep.txt'), 'utf8')).toBe('mine');
    expect(result.files).toContain('function-act.yaml');
  });

  it('refuses an unknown target, naming the ones there are', async () => {
    await expect(generateTarget('heroku', { root: project('p') })).rejects.toMatchObject({
      code: 'DEPLOY_TARGET_UNKNOWN',
      message:
        'deploy target "heroku" is not available; use one of: local, docker, kubernetes, modal',
    });
    expect(parseTarget('modal')).toBe('modal');
    await expect(generateTarget('local', { root: project('p') })).rejects.toMatchObject({
      code: 'DEPLOY_TARGET_NOT_GENERATED',
    });
  });

  it('asks for a build when there is no manifest, and names what is wrong with a bad one', async () => {
    const root = path.join(work.dir, 'empty');
    await expect(generateTarget('docker', { root })).rejects.toMatchObject({
      code: 'DEPLOY_NO_MANIFEST',
      message: expect.stringContaining('run `npm run build` first') as unknown,
    });
    writeFiles(root, { 'dist/manifest.json': { ...manifest, functions: [{ name: 'X' }] } });
    await expect(generateTarget('docker', { root })).rejects.toMatchObject({
      code: 'MANIFEST_INVALID',
    });
    writeFiles(root, { 'dist/manifest.json': { ...manifest, functions: [] } });
    await expect(generateTarget('modal', { root })).rejects.toMatchObject({
      code: 'DEPLOY_NO_FUNCTIONS',
    });
  });
});

describe('toYaml', () => {
  it('writes values that YAML reads back unchanged, however ambiguous they look', () => {
    const value: YamlValue = {
      plain: 'atolye-sefi',
      looksLikeBool: 'true',
      no: 'no',
      number: '8787',
      float: '1.5e3',
      address: '0.0.0.0',
      colon: 'a: b',
      hash: 'x #y',
      dollar: '${X:?set X}',
      empty: '',
      unicode: 'Atölye Şefi',
      leadingSpace: ' x',
      quote: "it's",
      backslash: 'C:\\dir',
      tab: 'a\tb',
      nul: null,
      real: 3,
      yes: true,
      list: [],
      map: {},
      nested: [{ a: 1, b: [1, 'two', { c: null }] }, ['x', ['y']], 'z'],
      block: 'line one\n  indented\n\nlast\n',
      blockNoNewline: 'a\nb',
    };
    expect(parse(toYaml(value))).toEqual(value);
  });
});
