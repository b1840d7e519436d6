import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { AtolyeError } from '../../../src/errors.js';
import {
  archiveWorkspace,
  listWorkspace,
  openWorkspaceFile,
  type WorkspaceEntry,
} from '../../../src/orchestrator/files.js';
import { contentTypeOf } from '../../../src/orchestrator/content-type.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

// Real directories, real symlinks, real tar: what the run API serves from a thread's workspace.

let work: ReturnType<typeof tempDir>;
let root: string;
const binary = randomBytes(1024 * 1024 + 17); // more than one read chunk, not block-aligned

beforeEach(() => {
  work = tempDir('atolye-files-');
  root = path.join(work.dir, 'workspace');
  mkdirSync(root);
  writeFiles(root, {
    'README.md': '# Demo\n',
    'src/main.py': 'print("merhaba dünya")\n',
    'src/lib/util.ts': 'export const x = 1;\n',
    'data/in.csv': 'a,b\n1,2\n',
    '.git/HEAD': 'ref: refs/heads/main\n',
    'node_modules/pkg/index.js': 'module.exports = 1;\n',
    'boşluk ve ünicode.txt': 'çğış\n',
  });
  writeFileSync(path.join(root, 'image.bin'), binary);
  writeFileSync(path.join(root, 'empty.txt'), '');
  mkdirSync(path.join(root, 'empty-dir'));
  // Symlinks: two inside the workspace, three that must never be followed.
  symlinkSync('README.md', path.join(root, 'readme-link'));
  symlinkSync('src', path.join(root, 'src-link'));
  symlinkSync('/etc', path.join(root, 'etc-link'));
  symlinkSync('/etc/passwd', path.join(root, 'passwd-link'));
  symlinkSync('missing-target', path.join(root, 'dangling'));
  symlinkSync('../../outside.txt', path.join(root, 'src/up-and-out'));
  writeFileSync(path.join(work.dir, 'outside.txt'), 'secret outside the workspace\n');
});

afterEach(() => work.cleanup());

const MTIME = new Date('2024-05-06T07:08:09.000Z');

/** Files this process holds open under `dir`, from /proc/self/fd. */
function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(`${dir}/`) ? [target] : [];
    } catch {
      return [];
    }
  });
}

async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AtolyeError);
    return (error as AtolyeError).code;
  }
  throw new Error('expected a refusal');
}

describe('listWorkspace', () => {
  it('lists every file and directory with sizes, in tree order, .git and node_modules included', async () => {
    const entries = await listWorkspace(root);
    const expected: WorkspaceEntry[] = [
      { path: '.git', type: 'directory', size: 0 },
      { path: '.git/HEAD', type: 'file', size: 21 },
      { path: 'README.md', type: 'file', size: 7 },
      { path: 'boşluk ve ünicode.txt', type: 'file', size: Buffer.byteLength('çğış\n') },
      { path: 'data', type: 'directory', size: 0 },
      { path: 'data/in.csv', type: 'file', size: 8 },
      { path: 'empty-dir', type: 'directory', size: 0 },
      { path: 'empty.txt', type: 'file', size: 0 },
      { path: 'image.bin', type: 'file', size: binary.length },
      { path: 'node_modules', type: 'directory', size: 0 },
      { path: 'node_modules/pkg', type: 'directory', size: 0 },
      { path: 'node_modules/pkg/index.js', type: 'file', size: 20 },
      { path: 'readme-link', type: 'file', size: 7 },
      { path: 'src', type: 'directory', size: 0 },
      { path: 'src/lib', type: 'directory', size: 0 },
      { path: 'src/lib/util.ts', type: 'file', size: 20 },
      { path: 'src/main.py', type: 'file', size: Buffer.byteLength('print("merhaba dünya")\n') },
      { path: 'src-link', type: 'directory', size: 0 },
    ];
    expect(entries).toEqual(expected);
  });

  it('never lists what a symlink outside the workspace points to', async () => {
    const paths = (await listWorkspace(root)).map((entry) => entry.path);
    for (const hidden of ['etc-link', 'passwd-link', 'dangling', 'src/up-and-out']) {
      expect(paths).not.toContain(hidden);
    }
    expect(paths.some((p) => p.startsWith('etc-link/') || p.startsWith('src-link/'))).toBe(false);
  });

  it('leaves out FIFOs and survives a symlink loop', async () => {
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    symlinkSync('loop-b', path.join(root, 'loop-a'));
    symlinkSync('loop-a', path.join(root, 'loop-b'));
    const paths = (await listWorkspace(root)).map((entry) => entry.path);
    expect(paths).not.toContain('pipe');
    expect(paths).not.toContain('loop-a');
  });

  it('works through a workspace path that is itself a symlink, and refuses a missing one', async () => {
    const alias = path.join(work.dir, 'alias');
    symlinkSync(root, alias);
    expect((await listWorkspace(alias)).length).toBe((await listWorkspace(root)).length);
    expect(await refusal(listWorkspace(path.join(work.dir, 'nope')))).toBe('WORKSPACE_NOT_FOUND');
    expect(await refusal(listWorkspace(path.join(root, 'README.md')))).toBe('WORKSPACE_NOT_FOUND');
  });
});

describe('openWorkspaceFile', () => {
  it('streams the exact bytes with the size and a content type from the extension', async () => {
    const cases: [string, string][] = [
      ['src/main.py', 'text/x-python; charset=utf-8'],
      ['src/lib/util.ts', 'text/typescript; charset=utf-8'],
      ['node_modules/pkg/index.js', 'text/javascript; charset=utf-8'],
      ['README.md', 'text/markdown; charset=utf-8'],
      ['data/in.csv', 'text/csv; charset=utf-8'],
      ['boşluk ve ünicode.txt', 'text/plain; charset=utf-8'],
      ['image.bin', 'application/octet-stream'],
      ['readme-link', 'application/octet-stream'],
    ];
    for (const [relative, type] of cases) {
      const file = await openWorkspaceFile(root, relative);
      const bytes = await buffer(file.stream);
      expect(file.contentType).toBe(type);
      expect(file.path).toBe(relative);
      expect(file.size).toBe(bytes.length);
      const target = relative === 'readme-link' ? 'README.md' : relative;
      expect(bytes.equals(readFileSync(path.join(root, target)))).toBe(true);
    }
  });

  it('serves an empty file and normalises the path it was given', async () => {
    const empty = await openWorkspaceFile(root, 'empty.txt');
    expect(empty.size).toBe(0);
    expect(await buffer(empty.stream)).toHaveLength(0);
    const odd = await openWorkspaceFile(root, './src//lib/../main.py');
    expect(odd.path).toBe('src/main.py');
    await buffer(odd.stream);
  });

  it('refuses every traversal form with PATH_REFUSED', async () => {
    const attempts = [
      '/etc/passwd',
      path.join(work.dir, 'outside.txt'),
      '../outside.txt',
      '..',
      'src/../../outside.txt',
      'src/lib/../../../outside.txt',
      '%2e%2e/outside.txt', // a second round of decoding must not escape either
      '%2e%2e%2foutside.txt',
      '..%2foutside.txt',
      'README.md\0.png',
      '\0',
      '..\\outside.txt',
      'C:/Windows/win.ini',
      '',
      '   ',
      'etc-link/passwd',
      'etc-link/hostname',
      'passwd-link',
      'src/up-and-out',
      'src-link/../../outside.txt',
      'dangling',
    ];
    for (const attempt of attempts) {
      expect([attempt, await refusal(openWorkspaceFile(root, attempt))]).toEqual([
        attempt,
        'PATH_REFUSED',
      ]);
    }
  });

  it('says FILE_NOT_FOUND for a missing file and IS_DIRECTORY for a directory', async () => {
    expect(await refusal(openWorkspaceFile(root, 'nope.txt'))).toBe('FILE_NOT_FOUND');
    expect(await refusal(openWorkspaceFile(root, 'src/nope/deeper.py'))).toBe('FILE_NOT_FOUND');
    expect(await refusal(openWorkspaceFile(root, 'README.md/child'))).toBe('FILE_NOT_FOUND');
    expect(await refusal(openWorkspaceFile(root, 'src'))).toBe('IS_DIRECTORY');
    expect(await refusal(openWorkspaceFile(root, 'src-link'))).toBe('IS_DIRECTORY');
    expect(await refusal(openWorkspaceFile(root, '.'))).toBe('IS_DIRECTORY');
  });

  it('refuses a FIFO at once instead of blocking on it', async () => {
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    expect(await refusal(openWorkspaceFile(root, 'pipe'))).toBe('PATH_REFUSED');
  });

  it('closes the file when the reader destroys the stream early', async () => {
    const file = await openWorkspaceFile(root, 'image.bin');
    expect(openFilesUnder(root)).toEqual([path.join(root, 'image.bin')]);
    await new Promise((resolve) => file.stream.once('data', resolve));
    file.stream.destroy();
    await eventually(() => openFilesUnder(root).length === 0);
  });

  it('serves a file through a symlinked directory that stays inside', async () => {
    const file = await openWorkspaceFile(root, 'src-link/lib/util.ts');
    expect((await buffer(file.stream)).toString()).toBe('export const x = 1;\n');
    expect(file.contentType).toBe('text/typescript; charset=utf-8');
  });
});

describe('contentTypeOf', () => {
  it.each([
    ['a.py', 'text/x-python; charset=utf-8'],
    ['a.ts', 'text/typescript; charset=utf-8'],
    ['a.JS', 'text/javascript; charset=utf-8'],
    ['a.mjs', 'text/javascript; charset=utf-8'],
    ['a.md', 'text/markdown; charset=utf-8'],
    ['a.json', 'application/json; charset=utf-8'],
    ['a.txt', 'text/plain; charset=utf-8'],
    ['a.csv', 'text/csv; charset=utf-8'],
    ['a.html', 'text/html; charset=utf-8'],
    ['a.htm', 'text/html; charset=utf-8'],
    ['a.css', 'text/css; charset=utf-8'],
    ['a.yaml', 'application/yaml; charset=utf-8'],
    ['a.svg', 'image/svg+xml; charset=utf-8'],
    ['a.sh', 'text/x-shellscript; charset=utf-8'],
    ['dir.d/Makefile', 'text/plain; charset=utf-8'],
    ['.gitignore', 'text/plain; charset=utf-8'],
    ['a.png', 'image/png'],
    ['a.JPG', 'image/jpeg'],
    ['a.pdf', 'application/pdf'],
    ['a.tar.gz', 'application/gzip'],
    ['a.xyz', 'application/octet-stream'],
    ['noextension', 'application/octet-stream'],
    ['a.py.bak', 'application/octet-stream'],
  ])('%s is %s', (name, type) => {
    expect(contentTypeOf(name)).toBe(type);
  });
});

describe('archiveWorkspace', () => {
  async function saveArchive(): Promise<string> {
    utimesSync(path.join(root, 'src/main.py'), MTIME, MTIME);
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    const file = path.join(work.dir, 'workspace.tar.gz');
    await pipeline(await archiveWorkspace(root), createWriteStream(file));
    return file;
  }

  function expectSameFiles(extracted: string): void {
    for (const entry of [
      'README.md',
      'boşluk ve ünicode.txt',
      'data/in.csv',
      'empty.txt',
      'image.bin',
      'src/main.py',
      'src/lib/util.ts',
      '.git/HEAD',
      'node_modules/pkg/index.js',
    ]) {
      expect([
        entry,
        readFileSync(path.join(extracted, entry)).equals(readFileSync(path.join(root, entry))),
      ]).toEqual([entry, true]);
    }
    expect(lstatSync(path.join(extracted, 'empty-dir')).isDirectory()).toBe(true);
    expect(statSync(path.join(extracted, 'src/main.py')).mtime).toEqual(MTIME);
    // Inside, relative symlinks stay links; nothing outside came along, not even as a link.
    expect(readlinkSync(path.join(extracted, 'readme-link'))).toBe('README.md');
    expect(readlinkSync(path.join(extracted, 'src-link'))).toBe('src');
    for (const gone of ['etc-link', 'passwd-link', 'dangling', 'src/up-and-out', 'pipe']) {
      expect(() => lstatSync(path.join(extracted, gone))).toThrow(/ENOENT/);
    }
  }

  it('extracts with the system tar to byte-identical files', async () => {
    const file = await saveArchive();
    const extracted = path.join(work.dir, 'system');
    mkdirSync(extracted);
    execFileSync('tar', ['-xzf', file, '-C', extracted]);
    expectSameFiles(extracted);
  });

  it('extracts with the tar package and holds only relative, portable entries', async () => {
    const file = await saveArchive();
    const extracted = path.join(work.dir, 'package');
    mkdirSync(extracted);
    await tar.x({ file, cwd: extracted, strict: true });
    expectSameFiles(extracted);

    const headers: { path: string; uname?: string; uid?: number }[] = [];
    await tar.t({ file, onReadEntry: (entry) => headers.push(entry) });
    expect(headers.length).toBeGreaterThan(10);
    for (const header of headers) {
      expect(header.path.startsWith('/')).toBe(false);
      expect(header.path.split('/')).not.toContain('..');
      expect(header.uname ?? '').toBe('');
    }
    const listing = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' });
    expect(listing).not.toContain('passwd');
    expect(listing).not.toContain('outside');
  });

  it('archives each name of a hard-linked file as a file of its own', async () => {
    // tar's packer used to end its gzip stream twice on a hard link it deferred: an 'error' no
    // listener could catch, which took the whole orchestrator down on a download.
    const linked = path.join(work.dir, 'linked-workspace');
    mkdirSync(path.join(linked, 'src'), { recursive: true });
    writeFileSync(path.join(linked, 'src/one.txt'), 'shared bytes');
    linkSync(path.join(linked, 'src/one.txt'), path.join(linked, 'src/two.txt'));
    linkSync(path.join(linked, 'src/one.txt'), path.join(linked, 'three.txt'));
    const file = path.join(work.dir, 'linked.tar.gz');
    await pipeline(await archiveWorkspace(linked), createWriteStream(file));

    const types: Record<string, string> = {};
    await tar.t({ file, onReadEntry: (entry) => (types[entry.path] = entry.type) });
    expect(types).toEqual({
      'src/': 'Directory',
      'src/one.txt': 'File',
      'src/two.txt': 'File',
      'three.txt': 'File',
    });
    const extracted = path.join(work.dir, 'from-linked');
    mkdirSync(extracted);
    execFileSync('tar', ['-xzf', file, '-C', extracted]);
    for (const name of ['src/one.txt', 'src/two.txt', 'three.txt']) {
      expect([name, readFileSync(path.join(extracted, name), 'utf8')]).toEqual([
        name,
        'shared bytes',
      ]);
    }
  });

  it('archives an empty workspace', async () => {
    const empty = path.join(work.dir, 'empty-workspace');
    mkdirSync(empty);
    const bytes = await buffer(await archiveWorkspace(empty));
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const extracted = path.join(work.dir, 'from-empty');
    mkdirSync(extracted);
    writeFileSync(path.join(work.dir, 'empty.tgz'), bytes);
    execFileSync('tar', ['-xzf', path.join(work.dir, 'empty.tgz'), '-C', extracted]);
    expect(await listWorkspace(extracted)).toEqual([]);
  });

  it('stops reading files when the reader goes away early', async () => {
    for (let i = 0; i < 8; i += 1) writeFileSync(path.join(root, `big-${i}.bin`), binary);
    const stream = await archiveWorkspace(root);
    const errors: unknown[] = [];
    stream.on('error', (error) => errors.push(error));
    await new Promise((resolve) => stream.once('data', resolve));
    stream.destroy();
    // Generous: on a loaded machine the packer may take a while to close the file it was reading.
    await eventually(() => openFilesUnder(root).length === 0, 15_000);
    expect(errors).toEqual([]);
  });

  it('refuses a missing workspace', async () => {
    expect(await refusal(archiveWorkspace(path.join(work.dir, 'nope')))).toBe(
      'WORKSPACE_NOT_FOUND',
    );
  });
});
