import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { describeTree, MANIFEST_FORMAT, type Manifest } from '../../../src/ops/manifest.js';
import { writeFiles } from '../../helpers/tmp.js';
import { installation, type Installation } from './fixture.js';

// What the ops commands check and note: `atolye restore` of archives made by hand, each wrong in
// one way, and `backup` and `maintenance` with JSON output, a Postgres storage.url, bad numbers of days.

let site: Installation;
let counter = 0;

beforeAll(() => {
  site = installation('atolye-ops-checks-');
});

afterAll(() => site.cleanup());

function manifestOf(files: Manifest['files']): Manifest {
  return {
    format: MANIFEST_FORMAT,
    formatVersion: 1,
    tool: { name: 'atolye', version: 'test-1' },
    createdAt: '2026-01-02T03:04:05.000Z',
    source: { dataDir: '/d', workspaceRoot: '/w', bundleDir: '/b', logDir: '/l', configDir: '/c' },
    logPolicy: 'none',
    files,
  };
}

/**
 * An archive of the staging folder `prepare` fills; its manifest lists what is there unless
 * `manifest` changes it (or replaces it: a string is written as is, null leaves it out).
 */
async function archive(
  prepare: (staging: string) => void,
  manifest: ((files: Manifest['files']) => Manifest | string | null) | undefined = undefined,
): Promise<string> {
  counter += 1;
  const staging = path.join(site.root, `staging-${counter}`);
  mkdirSync(staging, { recursive: true });
  prepare(staging);
  const sections = (
    await Promise.all(
      ['stores', 'workspaces', 'bundles', 'config', 'logs']
        .filter((name) => existsSync(path.join(staging, name)))
        .map((name) => describeTree(path.join(staging, name), name)),
    )
  ).flat();
  const chosen = manifest ? manifest(sections) : manifestOf(sections);
  if (chosen !== null) {
    writeFileSync(
      path.join(staging, 'manifest.json'),
      typeof chosen === 'string' ? chosen : JSON.stringify(chosen),
    );
  }
  const file = path.join(site.root, `archive-${counter}.tar.gz`);
  // Synchronous: tar's asynchronous packer crashes on a hard link it defers (see tar-links.ts).
  tar.create({ sync: true, gzip: true, file, cwd: staging }, ['.']);
  return file;
}

const store = (staging: string): void =>
  writeFiles(staging, { 'stores/orchestrator.sqlite': 'not really sqlite' });

async function refused(file: string): Promise<string> {
  site.useDataDir(path.join(site.root, `target-${counter}`));
  const result = await site.atolye('restore', file);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(existsSync(site.dataDir)).toBe(false);
  const prefix = `atolye: refusing to restore ${file}: `;
  expect(result.stderr.startsWith(prefix)).toBe(true);
  expect(result.stderr.endsWith('; nothing was written')).toBe(true);
  return result.stderr.slice(prefix.length, -'; nothing was written'.length);
}

describe('restore refuses a damaged archive and writes nothing', () => {
  it('a missing file', async () => {
    const file = path.join(site.root, 'nope.tar.gz');
    const result = await site.atolye('restore', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`atolye: no backup at ${file}: give the path of an atolye-*.tar.gz`);
  });

  it('a file that is not a tar.gz', async () => {
    counter += 1;
    const file = path.join(site.root, 'plain.tar.gz');
    writeFileSync(file, 'just text, not gzip');
    expect(await refused(file)).toMatch(/^it is not a readable tar\.gz \(/);
  });

  it('an entry of a kind a backup never has (a hard link)', async () => {
    const file = await archive((staging) => {
      store(staging);
      linkSync(
        path.join(staging, 'stores/orchestrator.sqlite'),
        path.join(staging, 'stores/hard-link'),
      );
    });
    // Whichever of the two names tar meets second becomes the link.
    expect(await refused(file)).toMatch(
      /^it holds entries a backup never has: \.\/stores\/(hard-link|orchestrator\.sqlite) \(Link\)$/,
    );
  });

  it('no manifest, a manifest that is not JSON, null, or of another format', async () => {
    expect(await refused(await archive(store, () => null))).toBe('it has no manifest.json');
    expect(await refused(await archive(store, () => '{ nope'))).toMatch(
      /^its manifest\.json is not JSON \(/,
    );
    expect(await refused(await archive(store, () => 'null'))).toMatch(
      /^its manifest\.json is not an atolye-backup manifest \(: /,
    );
    expect(
      await refused(await archive(store, () => JSON.stringify({ format: 'tarball', files: [] }))),
    ).toMatch(/^its manifest\.json is not an atolye-backup manifest \(format: /);
  });

  it('a manifest of the right format that does not match the schema names the field', async () => {
    const file = await archive(store, (files) =>
      JSON.stringify({ ...manifestOf(files), formatVersion: 2 }),
    );
    expect(await refused(file)).toMatch(
      /^its manifest\.json does not match the manifest schema \(formatVersion: /,
    );
  });

  it('an entry of another type, size, checksum or link target than listed', async () => {
    const asDir = await archive(
      (staging) => writeFiles(staging, { 'workspaces/t1/a.txt': 'a' }),
      (files) =>
        manifestOf(
          files.map((entry) =>
            entry.path === 'workspaces/t1'
              ? { type: 'file', path: entry.path, size: 1, sha256: 'a'.repeat(64) }
              : entry,
          ),
        ),
    );
    expect(await refused(asDir)).toBe('workspaces/t1 is a dir, the manifest says file');

    const bigger = await archive(store, (files) =>
      manifestOf(
        files.map((entry) => (entry.type === 'file' ? { ...entry, size: entry.size + 1 } : entry)),
      ),
    );
    expect(await refused(bigger)).toMatch(
      /^stores\/orchestrator\.sqlite has 17 bytes, the manifest says 18$/,
    );

    const otherHash = await archive(store, (files) =>
      manifestOf(
        files.map((entry) =>
          entry.type === 'file' ? { ...entry, sha256: '0'.repeat(64) } : entry,
        ),
      ),
    );
    expect(await refused(otherHash)).toMatch(
      new RegExp(
        `^stores/orchestrator\\.sqlite has sha256 [0-9a-f]{64}, the manifest says ${'0'.repeat(64)}$`,
      ),
    );

    const link = await archive(
      (staging) => {
        writeFiles(staging, { 'workspaces/t1/a.txt': 'a' });
        symlinkSync('a.txt', path.join(staging, 'workspaces/t1/link'));
      },
      (files) =>
        manifestOf(
          files.map((entry) =>
            entry.type === 'symlink' ? { ...entry, target: 'elsewhere' } : entry,
          ),
        ),
    );
    expect(await refused(link)).toBe(
      'workspaces/t1/link points to a.txt, the manifest says elsewhere',
    );
  });

  it('a file listed in the manifest that the archive lacks', async () => {
    const file = await archive(store, (files) =>
      manifestOf([...files, { type: 'dir', path: 'bundles' }]),
    );
    expect(await refused(file)).toBe('bundles is listed in the manifest but missing');
  });
});

describe('restore of a small backup', () => {
  let file: string;

  beforeAll(async () => {
    file = await archive((staging) => {
      store(staging);
      writeFiles(staging, {
        'workspaces/t1/notes.txt': 'notes',
        'bundles/echo/index.mjs': 'export default 1;',
        'config/default.json': '{"security":{"adminToken":"****"}}',
      });
    });
  });

  it('lists a data folder with more than three entries when it refuses it', async () => {
    site.useDataDir(path.join(site.root, 'crowded'));
    writeFiles(site.dataDir, { a: '1', b: '2', c: '3', d: '4' });
    const result = await site.atolye('restore', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `atolye: ${site.dataDir} is not empty (a, b, c, …): restore into`,
    );
  });

  it('--force replaces the store, drops its stale WAL, and puts back bundles and a configuration copy', async () => {
    site.useDataDir(path.join(site.root, 'replaced'));
    writeFiles(site.dataDir, {
      'orchestrator.sqlite': 'old',
      'orchestrator.sqlite-wal': 'stale wal',
    });
    const result = await site.atolye('restore', file, '--force');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      `restored 4 files from the backup of 2026-01-02T03:04:05.000Z (test-1) into ${site.dataDir}`,
      '  stores: orchestrator.sqlite',
      `  workspaces: 1 in ${path.join(site.dataDir, 'workspaces')}`,
      `  bundles: ${path.join(site.dataDir, 'bundles')}`,
      `  configuration (secrets masked, not applied): ${path.join(site.dataDir, 'restored-config')}`,
      '  logs are not restored',
    ]);
    expect(readFileSync(path.join(site.dataDir, 'restored-config/default.json'), 'utf8')).toContain(
      '****',
    );
    expect(readFileSync(path.join(site.dataDir, 'orchestrator.sqlite'), 'utf8')).toBe(
      'not really sqlite',
    );
    expect(existsSync(path.join(site.dataDir, 'orchestrator.sqlite-wal'))).toBe(false);
    expect(readFileSync(path.join(site.dataDir, 'workspaces/t1/notes.txt'), 'utf8')).toBe('notes');
  });

  it('an empty backup restores into an empty folder and lists no stores', async () => {
    const empty = await archive(() => undefined);
    site.useDataDir(path.join(site.root, 'fresh'));
    const result = await site.atolye('restore', empty);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('restored 0 files');
    expect(result.stdout).toContain('  stores: none\n');
    expect(result.stdout).toContain('  bundles: none in the backup\n');
    expect(result.stdout).toContain('  configuration: none in the backup\n');
  });
});

describe('backup and maintenance options', () => {
  it('refuses a negative or non-numeric number of days', async () => {
    const backup = await site.atolye('backup', '--log-days', '-1');
    expect(backup.code).toBe(2);
    expect(backup.stderr).toContain('use a number of days, 0 or more');
    const maintenance = await site.atolye('maintenance', '--older-than', 'soon');
    expect(maintenance.code).toBe(2);
    expect(maintenance.stderr).toContain('use a number of days, 0 or more');
  });

  it('backup --json prints the summary; a Postgres storage.url gets a note on stderr', async () => {
    site.useDataDir(path.join(site.root, 'to-back-up'));
    writeFiles(site.dataDir, { 'workspaces/t9/x.txt': 'x' });
    const out = path.join(site.root, 'backup-json.tar.gz');
    const result = await site.atolye(
      '--set',
      'storage.url=postgres://u:pw@127.0.0.1:1/db',
      'backup',
      '--out',
      out,
      '--json',
      '--log-days',
      '0',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'note: threads, runs, their events, API keys, crons and checkpoints are in Postgres (storage.url): this archive holds the workspaces, bundles, configuration and logs; back the database up with pg_dump, e.g. pg_dump --format=custom',
    );
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ file: out, stores: [] });
    expect(summary.createdAt).toEqual(expect.any(String));
    expect(summary).not.toHaveProperty('manifest');
    expect(existsSync(out)).toBe(true);

    const text = await site.atolye('backup', '--out', path.join(site.root, 'backup-text.tar.gz'));
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('  stores: none');
  });

  it('maintenance --json with a Postgres storage.url notes that checkpoints are not pruned', async () => {
    site.useDataDir(path.join(site.root, 'maintained'));
    const result = await site.atolye(
      '--set',
      'storage.url=postgresql://u@127.0.0.1:1/db',
      'maintenance',
      '--json',
      '--apply',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'note: threads, runs, their events, API keys, crons and checkpoints are in Postgres (storage.url): they are not pruned here',
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ applied: true, threads: [] });
  });
});
