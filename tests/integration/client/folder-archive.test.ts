import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { extract, list } from 'tar';
import { packFolder, type PackProgress } from '../../../src/client/folder-archive.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { treeContent } from './folder-fixtures.js';

// packFolder against real folders on disk; every archive is unpacked again (by node-tar and by
// GNU tar in a real process) and what came out is compared with what went in.

let root: ReturnType<typeof tempDir>;
let count = 0;

beforeAll(() => {
  root = tempDir('atolye-pack-');
});

afterAll(() => root?.cleanup());

function folder(files: Record<string, string>): string {
  count += 1;
  const dir = path.join(root.dir, `folder-${count}`);
  mkdirSync(dir);
  writeFiles(dir, files);
  return dir;
}

async function unpack(archive: Uint8Array): Promise<string> {
  count += 1;
  const file = path.join(root.dir, `archive-${count}.tar.gz`);
  const out = path.join(root.dir, `unpacked-${count}`);
  writeFileSync(file, archive);
  mkdirSync(out);
  await extract({ file, cwd: out });
  return out;
}

/** Paths in the archive, by reading its headers. */
async function entryNames(archive: Uint8Array): Promise<string[]> {
  count += 1;
  const file = path.join(root.dir, `list-${count}.tar.gz`);
  writeFileSync(file, archive);
  const names: string[] = [];
  await list({ file, onReadEntry: (entry) => void names.push(entry.path) });
  return names.sort();
}

describe('what goes in', () => {
  it('leaves out gitignored files, .git and node_modules at any depth, and .env files', async () => {
    const dir = folder({
      '.gitignore': 'dist/\n*.log\n/only-at-root.txt\n',
      'src/index.ts': 'export {};\n',
      'src/debug.log': 'noise',
      'dist/bundle.js': 'built',
      'only-at-root.txt': 'ignored here',
      'src/only-at-root.txt': 'kept: the pattern is anchored',
      'node_modules/pkg/index.js': 'dependency',
      'packages/a/node_modules/pkg/index.js': 'nested dependency',
      '.git/config': '[core]',
      '.git/HEAD': 'ref: refs/heads/main',
      'vendor/lib/.git/HEAD': 'a nested repository',
      'vendor/lib/code.c': 'int x;',
      '.env': 'API_KEY=secret',
      '.env.local': 'API_KEY=local-secret',
      'config/.env.production': 'DB_PASSWORD=secret',
      'README.md': '# hello\n',
    });
    const packed = await packFolder(dir);
    expect(await entryNames(packed.archive)).toEqual([
      '.gitignore',
      'README.md',
      'src/index.ts',
      'src/only-at-root.txt',
      'vendor/lib/code.c',
    ]);
    expect(packed.files).toBe(5);
    expect(packed.bytes).toBe(
      ['.gitignore', 'README.md', 'src/index.ts', 'src/only-at-root.txt', 'vendor/lib/code.c']
        .map((name) => readFileSync(path.join(dir, name)).length)
        .reduce((a, b) => a + b),
    );
    expect(packed.skippedEntries).toEqual([
      { path: '.env', reason: 'secret' },
      { path: '.env.local', reason: 'secret' },
      { path: 'config/.env.production', reason: 'secret' },
    ]);
    expect(packed.skipped).toBe(3);
    const out = await unpack(packed.archive);
    expect(readFileSync(path.join(out, 'src/index.ts'), 'utf8')).toBe('export {};\n');
  });

  it('sends .env files and gitignored files the caller lists, and only those', async () => {
    const dir = folder({
      '.gitignore': '.env\nsecrets/\n',
      '.env': 'API_KEY=wanted',
      '.env.test': 'API_KEY=not-wanted',
      'secrets/token.txt': 'wanted too',
      'secrets/other.txt': 'not wanted',
      'app.js': 'run()',
    });
    const packed = await packFolder(dir, { include: ['.env', './secrets/token.txt'] });
    expect(await entryNames(packed.archive)).toEqual([
      '.env',
      '.gitignore',
      'app.js',
      'secrets/token.txt',
    ]);
    expect(packed.skippedEntries).toEqual([{ path: '.env.test', reason: 'secret' }]);
    const out = await unpack(packed.archive);
    expect(readFileSync(path.join(out, '.env'), 'utf8')).toBe('API_KEY=wanted');
  });

  it('refuses an include that is missing, outside, a folder, or inside .git / node_modules', async () => {
    const dir = folder({ 'a.txt': 'a', 'node_modules/x/index.js': 'x', 'sub/b.txt': 'b' });
    symlinkSync(path.join(root.dir), path.join(dir, 'out-link'));
    const refused = async (include: string) =>
      packFolder(dir, { include: [include] }).then(
        () => 'accepted',
        (error: Error & { code?: string }) => `${error.code}: ${error.message}`,
      );
    expect(await refused('missing.env')).toBe(
      'INCLUDE_REFUSED: cannot include "missing.env": it does not exist in the folder',
    );
    expect(await refused('../outside.env')).toMatch(/^INCLUDE_REFUSED: .*not a path inside/);
    expect(await refused('/etc/passwd')).toMatch(/^INCLUDE_REFUSED: .*not a path inside/);
    expect(await refused('sub')).toMatch(/^INCLUDE_REFUSED: .*not a regular file/);
    expect(await refused('node_modules/x/index.js')).toMatch(/never sent/);
    expect(await refused('out-link/anything')).toMatch(/^INCLUDE_REFUSED: .*inside the folder/);
  });

  it('honours nested .gitignore files the way git does, deeper ones deciding', async () => {
    const dir = folder({
      '.gitignore': '*.log\nbuild/\n',
      'app.log': 'root log',
      'keep/.gitignore': '!important.log\n',
      'keep/important.log': 'kept by negation',
      'keep/other.log': 'still ignored',
      'docs/.gitignore': '*.md\n!README.md\n',
      'docs/guide.md': 'ignored in docs',
      'docs/README.md': 'kept',
      'guide.md': 'kept: docs/.gitignore does not reach here',
      'deep/er/build/out.js': 'ignored at any depth',
      'deep/er/src/build.js': 'a file named build is kept',
    });
    const packed = await packFolder(dir);
    expect(await entryNames(packed.archive)).toEqual([
      '.gitignore',
      'deep/er/src/build.js',
      'docs/.gitignore',
      'docs/README.md',
      'guide.md',
      'keep/.gitignore',
      'keep/important.log',
    ]);
  });

  it("honours the repository's .git/info/exclude", async () => {
    const dir = folder({
      'notes.txt': 'private',
      'code.ts': 'x',
      '.git/info/exclude': 'notes.txt\n',
    });
    expect(await entryNames((await packFolder(dir)).archive)).toEqual(['code.ts']);
  });
});

describe('symlinks and special files', () => {
  it('keeps links that stay inside as links and leaves out the rest, counted as skipped', async () => {
    const outside = folder({ 'secret.txt': 'outside the folder' });
    const dir = folder({ 'real.txt': 'inside', 'sub/file.txt': 'nested' });
    symlinkSync('real.txt', path.join(dir, 'to-real'));
    symlinkSync('sub', path.join(dir, 'to-sub'));
    symlinkSync('../real.txt', path.join(dir, 'sub', 'up-and-in'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'absolute-out'));
    symlinkSync(path.join(dir, 'real.txt'), path.join(dir, 'absolute-in'));
    symlinkSync(`../${path.basename(outside)}/secret.txt`, path.join(dir, 'relative-out'));
    symlinkSync(`../${path.basename(outside)}`, path.join(dir, 'dir-out'));
    symlinkSync('nowhere.txt', path.join(dir, 'dangling'));
    symlinkSync('loop-b', path.join(dir, 'loop-a'));
    symlinkSync('loop-a', path.join(dir, 'loop-b'));
    execFileSync('mkfifo', [path.join(dir, 'a-fifo')]);

    const packed = await packFolder(dir);
    expect(await entryNames(packed.archive)).toEqual([
      'real.txt',
      'sub/file.txt',
      'sub/up-and-in',
      'to-real',
      'to-sub',
    ]);
    expect(packed.skippedEntries).toEqual([
      { path: 'a-fifo', reason: 'special' },
      { path: 'absolute-in', reason: 'symlink' },
      { path: 'absolute-out', reason: 'symlink' },
      { path: 'dangling', reason: 'symlink' },
      { path: 'dir-out', reason: 'symlink' },
      { path: 'loop-a', reason: 'symlink' },
      { path: 'loop-b', reason: 'symlink' },
      { path: 'relative-out', reason: 'symlink' },
    ]);
    const out = await unpack(packed.archive);
    expect(readlinkSync(path.join(out, 'to-real'))).toBe('real.txt');
    expect(readlinkSync(path.join(out, 'to-sub'))).toBe('sub');
    expect(readFileSync(path.join(out, 'sub', 'up-and-in'), 'utf8')).toBe('inside');
  });

  it('packs a hard-linked file as a file of its own, never as a link to another entry', async () => {
    const dir = folder({ 'node_modules/.store/shared.js': 'shared', 'b.js': 'b' });
    linkSync(path.join(dir, 'node_modules/.store/shared.js'), path.join(dir, 'a.js'));
    linkSync(path.join(dir, 'a.js'), path.join(dir, 'c.js'));
    const packed = await packFolder(dir);
    count += 1;
    const file = path.join(root.dir, `hardlinks-${count}.tar.gz`);
    writeFileSync(file, packed.archive);
    const types: string[] = [];
    await list({ file, onReadEntry: (entry) => void types.push(`${entry.path} ${entry.type}`) });
    expect(types.sort()).toEqual(['a.js File', 'b.js File', 'c.js File']);
    const out = await unpack(packed.archive);
    expect(readFileSync(path.join(out, 'c.js'), 'utf8')).toBe('shared');
  });
});

describe('the archive', () => {
  const oddNames = [
    'with space.txt',
    'ünïcödé-名前.txt',
    '-rf',
    '--',
    '-leading dash',
    '@starts-with-at',
    'line\nbreak.txt',
    'tab\there.txt',
    'quote"s and \'s.txt',
    'back\\slash.txt',
    'dir with space/-dash/ü.txt',
    `${'long-name-'.repeat(12)}.txt`,
  ];

  it('round-trips odd file names through node-tar and GNU tar', async () => {
    const dir = folder(
      Object.fromEntries(oddNames.map((name, index) => [name, `content ${index}\n`])),
    );
    const packed = await packFolder(dir);
    expect(packed.files).toBe(oddNames.length);
    expect(await entryNames(packed.archive)).toEqual([...oddNames].sort());
    expect(treeContent(await unpack(packed.archive))).toEqual(treeContent(dir));

    count += 1;
    const file = path.join(root.dir, `gnu-${count}.tar.gz`);
    const out = path.join(root.dir, `gnu-out-${count}`);
    writeFileSync(file, packed.archive);
    mkdirSync(out);
    execFileSync('tar', ['-xzf', file, '-C', out]);
    expect(treeContent(out)).toEqual(treeContent(dir));
  });

  it('keeps the executable bit and carries no owner or host details', async () => {
    const dir = folder({ 'run.sh': '#!/bin/sh\necho hi\n', 'data.txt': 'data' });
    chmodSync(path.join(dir, 'run.sh'), 0o755);
    const packed = await packFolder(dir);
    count += 1;
    const file = path.join(root.dir, `headers-${count}.tar.gz`);
    writeFileSync(file, packed.archive);
    const headers: Record<string, unknown>[] = [];
    await list({
      file,
      onReadEntry: (entry) =>
        void headers.push({
          path: entry.path,
          mode: (entry.mode ?? 0) & 0o777,
          uid: entry.header.uid ?? 0,
          gid: entry.header.gid ?? 0,
          uname: entry.header.uname ?? '',
          gname: entry.header.gname ?? '',
        }),
    });
    expect(headers).toEqual([
      { path: 'data.txt', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '' },
      { path: 'run.sh', mode: 0o755, uid: 0, gid: 0, uname: '', gname: '' },
    ]);
    // The gzip header carries no timestamp or host either (bytes 4-7 are mtime, 9 is the OS).
    expect([...packed.archive.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
  });

  it('reports progress per entry up to the totals', async () => {
    const dir = folder({ 'a.txt': 'aaaa', 'b/c.txt': 'cc', 'd.txt': '' });
    const seen: PackProgress[] = [];
    const packed = await packFolder(dir, { onProgress: (progress) => seen.push(progress) });
    expect(seen).toHaveLength(3);
    expect(seen.map((progress) => progress.files)).toEqual([1, 2, 3]);
    expect(seen.every((progress) => progress.totalFiles === 3 && progress.totalBytes === 6)).toBe(
      true,
    );
    expect(seen.at(-1)?.bytes).toBe(6);
    expect(seen.map((progress) => progress.path).sort()).toEqual(['a.txt', 'b/c.txt', 'd.txt']);
    expect(packed).toMatchObject({ files: 3, bytes: 6, skipped: 0 });
  });

  it('stops at maxBytes with a message saying what to do', async () => {
    const dir = folder({});
    writeFileSync(path.join(dir, 'random.bin'), randomBytes(200_000));
    await expect(packFolder(dir, { maxBytes: 1024 })).rejects.toMatchObject({
      code: 'ARCHIVE_TOO_BIG',
      message: expect.stringContaining('.gitignore'),
    });
  });

  it('packs an empty folder as an empty archive, and refuses a folder that is not there', async () => {
    const packed = await packFolder(folder({}));
    expect(packed).toMatchObject({ files: 0, bytes: 0, skipped: 0 });
    expect(await entryNames(packed.archive)).toEqual([]);

    const missing = path.join(root.dir, 'no-such-folder');
    await expect(packFolder(missing)).rejects.toMatchObject({
      code: 'FOLDER_NOT_FOUND',
      message: `there is no folder ${missing}`,
    });
    const file = path.join(folder({ 'f.txt': 'f' }), 'f.txt');
    await expect(packFolder(file)).rejects.toMatchObject({ code: 'FOLDER_NOT_FOUND' });
  });
});
