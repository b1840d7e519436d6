import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { Manifest } from '../../../src/ops/index.js';
import { installation, populate, tableRows, treeDigest, type Installation } from './fixture.js';

// backup → restore through `atolye …` in this process, on real SQLite files in temporary folders.

const STORES = ['api-keys.sqlite', 'checkpoints.sqlite', 'orchestrator.sqlite'];
let site: Installation;
let archive: string;
let source: { dataDir: string; workspaceRoot: string };

beforeEach(async () => {
  site = installation('atolye-ops-backup-');
  const store = await populate(site, ['thread-a', 'thread-b']);
  await store.close();
  source = { dataDir: site.dataDir, workspaceRoot: site.workspaceRoot };
  archive = path.join(site.root, 'out', 'backup.tar.gz');
  const made = await site.atolye('backup', '--out', archive);
  expect(made.stderr).toBe('');
  expect(made.code).toBe(0);
});

afterEach(() => site.cleanup());

async function unpack(): Promise<{ dir: string; manifest: Manifest }> {
  const dir = path.join(site.root, 'unpacked');
  mkdirSync(dir, { recursive: true });
  await tar.extract({ file: archive, cwd: dir });
  const manifest = Manifest.parse(
    JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')),
  );
  return { dir, manifest };
}

async function repack(dir: string): Promise<void> {
  await tar.create({ gzip: true, file: archive, cwd: dir }, readdirSync(dir));
}

describe('atolye backup', () => {
  it('prints the archive, its file count and size, and lists every file with its sha256', async () => {
    const again = await site.atolye('backup', '--out', path.join(site.root, 'second.tar.gz'));
    expect(again.stdout).toMatch(
      /^backup written: .*second\.tar\.gz\n {2}\d+ files \(.+ before compression\), archive .+\n {2}stores: api-keys\.sqlite, checkpoints\.sqlite, orchestrator\.sqlite$/,
    );

    const { dir, manifest } = await unpack();
    expect(manifest.tool.name).toBe('atolye-sefi');
    expect(Date.now() - Date.parse(manifest.createdAt)).toBeLessThan(60_000);
    const files = manifest.files
      .filter((entry) => entry.type === 'file')
      .map((entry) => entry.path);
    expect(files).toEqual(
      expect.arrayContaining([
        ...STORES.map((name) => `stores/${name}`),
        'workspaces/thread-a/src/main.ts',
        'bundles/plan/v1/index.js',
        'config/config.json',
        'config/files/testing.json',
        'logs/system-2026-11-25.log',
      ]),
    );
    // Old and compressed logs, and the current-file symlink, stay out.
    expect(manifest.files.map((entry) => entry.path).filter((p) => p.startsWith('logs/'))).toEqual([
      'logs/system-2026-11-25.log',
    ]);
    expect(manifest.files).toContainEqual({
      type: 'symlink',
      path: 'workspaces/thread-a/entry.ts',
      target: 'src/main.ts',
    });
    const main = manifest.files.find((entry) => entry.path === 'workspaces/thread-a/src/main.ts');
    expect(main).toMatchObject({
      size: "export const thread = 'thread-a';\n".length,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // The testing environment's secrets are in config/testing.json and the effective config.
    const configText = ['config/config.json', 'config/files/testing.json']
      .map((file) => readFileSync(path.join(dir, file), 'utf8'))
      .join('');
    expect(configText).not.toContain('test-signing-secret');
    expect(configText).not.toContain('test-admin-token');
    expect(configText).toContain('********');
  });

  it('writes to <dataDir>/../backups/atolye-<UTC time>.tar.gz by default', async () => {
    const made = await site.atolye('backup');
    expect(made.code).toBe(0);
    const written = made.stdout.match(/^backup written: (\S+)/)?.[1] as string;
    expect(path.dirname(written)).toBe(path.join(site.root, 'backups'));
    expect(path.basename(written)).toMatch(/^atolye-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(existsSync(written)).toBe(true);
  });
});

describe('atolye restore', () => {
  it('round trip: a fresh data dir gets identical workspaces, bundles and store contents', async () => {
    site.useDataDir(path.join(site.root, 'restored'));
    const restored = await site.atolye('restore', archive);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(
      'stores: api-keys.sqlite, checkpoints.sqlite, orchestrator.sqlite',
    );
    expect(restored.stdout).toContain(
      `configuration (secrets masked, not applied): ${path.join(site.dataDir, 'restored-config')}`,
    );

    expect(treeDigest(site.workspaceRoot)).toEqual(treeDigest(source.workspaceRoot));
    expect(treeDigest(path.join(site.dataDir, 'bundles'))).toEqual(
      treeDigest(path.join(source.dataDir, 'bundles')),
    );
    for (const name of STORES) {
      const rows = tableRows(path.join(site.dataDir, name));
      expect(rows).toEqual(tableRows(path.join(source.dataDir, name)));
      expect(Object.values(rows).flat().length).toBeGreaterThan(0);
    }
    expect(tableRows(path.join(site.dataDir, 'orchestrator.sqlite')).threads).toHaveLength(2);
    expect(existsSync(path.join(site.dataDir, 'restored-config', 'config.json'))).toBe(true);
    expect(existsSync(path.join(site.dataDir, 'logs'))).toBe(false);
  });

  it('refuses an archive with one byte flipped in a file inside, naming it, and writes nothing', async () => {
    const { dir } = await unpack();
    const file = path.join(dir, 'workspaces/thread-b/src/main.ts');
    const bytes = readFileSync(file);
    bytes[0] = (bytes[0] as number) ^ 0x01;
    writeFileSync(file, bytes);
    await repack(dir);

    const target = path.join(site.root, 'fresh');
    site.useDataDir(target);
    const refused = await site.atolye('restore', archive);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('workspaces/thread-b/src/main.ts has sha256');
    expect(refused.stderr).toContain('nothing was written');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a flipped byte in the compressed archive itself', async () => {
    const bytes = readFileSync(archive);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0xff;
    writeFileSync(archive, bytes);
    const target = path.join(site.root, 'fresh');
    site.useDataDir(target);
    const refused = await site.atolye('restore', archive);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refusing to restore .*backup\.tar\.gz/);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses an archive without a manifest, with an invalid one, or with an unlisted file', async () => {
    const { dir } = await unpack();
    const manifestFile = path.join(dir, 'manifest.json');
    const manifest = readFileSync(manifestFile, 'utf8');
    const target = path.join(site.root, 'fresh');
    site.useDataDir(target);

    writeFileSync(path.join(dir, 'workspaces/thread-a/extra.txt'), 'smuggled');
    await repack(dir);
    expect((await site.atolye('restore', archive)).stderr).toContain(
      'workspaces/thread-a/extra.txt is not in the manifest',
    );

    writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(manifest), formatVersion: 9 }));
    await repack(dir);
    expect((await site.atolye('restore', archive)).stderr).toContain(
      'manifest.json does not match the manifest schema',
    );

    await tar.create({ gzip: true, file: archive, cwd: dir }, ['workspaces']);
    const missing = await site.atolye('restore', archive);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('it has no manifest.json');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a non-empty data dir unless --force, which replaces the stores and workspaces', async () => {
    const refused = await site.atolye('restore', archive);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${site.dataDir} is not empty`);
    expect(refused.stderr).toContain('--force');

    writeFileSync(
      path.join(site.workspaceRoot, 'thread-a/src/main.ts'),
      'changed after the backup',
    );
    const before = tableRows(path.join(site.dataDir, 'orchestrator.sqlite'));
    const { RunsStore } = await import('../../../src/orchestrator/runs-store.js');
    const store = RunsStore.inFile(path.join(site.dataDir, 'orchestrator.sqlite'));
    await store.createThread('thread-after-backup');
    await store.close();

    const forced = await site.atolye('restore', archive, '--force');
    expect(forced.code).toBe(0);
    expect(readFileSync(path.join(site.workspaceRoot, 'thread-a/src/main.ts'), 'utf8')).toBe(
      "export const thread = 'thread-a';\n",
    );
    expect(tableRows(path.join(site.dataDir, 'orchestrator.sqlite'))).toEqual(before);
  });
});
