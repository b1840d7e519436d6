import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { applyPatch, ApplyConflictError, type FileChange } from '../../../src/client/apply.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { commitAll, fingerprint, runGit, treeContent } from './folder-fixtures.js';

// applyPatch with real git on real folders. The patch comes from a real repository the way the
// run API makes it (`git format-patch --binary --full-index --find-renames` of one commit), and
// each test takes it into a folder of its own: a plain copy, a clone, a folder with local edits.

let root: ReturnType<typeof tempDir>;
/** The thread's side: a repository at the baseline, then the agent's changes. */
let origin: string;
let baseline: string;
let patch: Buffer;
let count = 0;

const lines = (n: number, edit: Record<number, string> = {}): string =>
  Array.from({ length: n }, (_, i) => `${edit[i + 1] ?? `line ${i + 1}`}\n`).join('');

const LOGO_BEFORE = randomBytes(3000);
const LOGO_AFTER = Buffer.concat([LOGO_BEFORE.subarray(0, 1500), randomBytes(1500)]);

const EXPECTED_CHANGES: FileChange[] = [
  { change: 'added', path: 'added.bin' },
  { change: 'modified', path: 'edit.txt' },
  { change: 'deleted', path: 'gone.txt' },
  { change: 'modified', path: 'link' },
  { change: 'modified', path: 'logo.bin' },
  { change: 'renamed', path: 'new-name.txt', from: 'old-name.txt' },
  { change: 'modified', path: 'run.sh' },
  { change: 'added', path: 'src/added.ts' },
  { change: 'added', path: 'src/ünï cödé.txt' },
];

beforeAll(() => {
  root = tempDir('atolye-apply-');
  origin = path.join(root.dir, 'origin');
  mkdirSync(origin);
  runGit(origin, 'init', '-q');
  writeFiles(origin, {
    'keep.txt': 'unchanged\n',
    'edit.txt': lines(30),
    'gone.txt': 'to be deleted\n',
    'old-name.txt': lines(20),
    'run.sh': '#!/bin/sh\necho hi\n',
  });
  writeFileSync(path.join(origin, 'logo.bin'), LOGO_BEFORE);
  symlinkSync('keep.txt', path.join(origin, 'link'));
  baseline = commitAll(origin, 'baseline');

  writeFileSync(path.join(origin, 'edit.txt'), lines(30, { 15: 'changed by the thread' }));
  rmSync(path.join(origin, 'gone.txt'));
  rmSync(path.join(origin, 'old-name.txt'));
  writeFileSync(path.join(origin, 'new-name.txt'), lines(20, { 20: 'renamed and edited' }));
  chmodSync(path.join(origin, 'run.sh'), 0o755);
  rmSync(path.join(origin, 'link'));
  symlinkSync('edit.txt', path.join(origin, 'link'));
  writeFileSync(path.join(origin, 'logo.bin'), LOGO_AFTER);
  writeFiles(origin, {
    'src/added.ts': 'export const added = true;\n',
    'src/ünï cödé.txt': 'odd\n',
  });
  writeFileSync(path.join(origin, 'added.bin'), Buffer.from([0, 1, 2, 3, 0, 255]));
  commitAll(origin, 'the thread changes');
  patch = formatPatch(origin, `${baseline}..HEAD`);
});

afterAll(() => root?.cleanup());

function formatPatch(repo: string, range: string): Buffer {
  return Buffer.from(
    runGit(repo, 'format-patch', '--stdout', '--binary', '--full-index', '--find-renames', range),
  );
}

/** A folder holding the baseline without git, as a user who unpacked an archive would have it. */
function plainCopy(): string {
  count += 1;
  const dir = path.join(root.dir, `plain-${count}`);
  mkdirSync(dir);
  unpackBaseline(dir);
  return dir;
}

function unpackBaseline(into: string): void {
  const tar = path.join(root.dir, `baseline-${count}.tar`);
  // The umask git would write the files with, not git archive's default (0002).
  runGit(origin, '-c', 'tar.umask=0022', 'archive', '--format=tar', '-o', tar, baseline);
  execFileSync('tar', ['-xf', tar, '-C', into]);
}

/** A clone at the baseline: the user's own repository, holding the blobs the patch was made from. */
function cloneAtBaseline(): string {
  count += 1;
  const dir = path.join(root.dir, `clone-${count}`);
  runGit(root.dir, 'clone', '-q', origin, dir);
  runGit(dir, 'checkout', '-q', baseline);
  return dir;
}

async function refusal(folder: string, body: Uint8Array = patch) {
  return applyPatch(folder, body).then(
    () => {
      throw new Error('the patch applied');
    },
    (error: unknown) => error as ApplyConflictError,
  );
}

describe('a patch that applies', () => {
  it('takes modified, added, deleted, renamed, binary and mode-changed files into a plain folder', async () => {
    const folder = plainCopy();
    const result = await applyPatch(folder, patch);
    expect(result.changes).toEqual(EXPECTED_CHANGES);
    expect(result.threeWay).toBe(false);
    expect(treeContent(folder)).toEqual(treeContent(origin));
    expect(readFileSync(path.join(folder, 'logo.bin')).equals(LOGO_AFTER)).toBe(true);
  });

  it("applies in a clone without touching the repository's index or objects", async () => {
    const folder = cloneAtBaseline();
    const gitBefore = fingerprint(path.join(folder, '.git'));
    const result = await applyPatch(folder, patch);
    expect(result.changes).toEqual(EXPECTED_CHANGES);
    expect(result.threeWay).toBe(true);
    expect(treeContent(folder)).toEqual(treeContent(origin));
    expect(fingerprint(path.join(folder, '.git'))).toEqual(gitBefore);
    // Nothing staged: the user reviews and commits the changes as their own.
    expect(runGit(folder, 'diff', '--cached', '--name-only')).toBe('');
  });

  it('merges a local edit next to a changed line when the repository has the blobs', async () => {
    const near = lines(30, { 13: 'a local edit two lines above' });
    const clone = cloneAtBaseline();
    writeFileSync(path.join(clone, 'edit.txt'), near);
    await applyPatch(clone, patch);
    expect(readFileSync(path.join(clone, 'edit.txt'), 'utf8')).toBe(
      lines(30, { 13: 'a local edit two lines above', 15: 'changed by the thread' }),
    );

    // Without a repository the same edit breaks the hunk's context: three-way made the difference.
    const plain = plainCopy();
    writeFileSync(path.join(plain, 'edit.txt'), near);
    const before = fingerprint(plain);
    const error = await refusal(plain);
    expect(error).toBeInstanceOf(ApplyConflictError);
    expect(error.conflicts).toEqual([
      { path: 'edit.txt', reason: expect.stringContaining('differs') },
    ]);
    expect(fingerprint(plain)).toEqual(before);
  });

  it('applies around a local edit far from the changes, in a plain folder too', async () => {
    const plain = plainCopy();
    writeFileSync(path.join(plain, 'edit.txt'), lines(30, { 29: 'far away' }));
    writeFileSync(path.join(plain, 'untracked-notes.txt'), 'mine');
    await applyPatch(plain, patch);
    expect(readFileSync(path.join(plain, 'edit.txt'), 'utf8')).toBe(
      lines(30, { 15: 'changed by the thread', 29: 'far away' }),
    );
    expect(readFileSync(path.join(plain, 'untracked-notes.txt'), 'utf8')).toBe('mine');
  });

  it('applies into a folder that is a subfolder of a repository', async () => {
    count += 1;
    const outer = path.join(root.dir, `outer-${count}`);
    const app = path.join(outer, 'app');
    mkdirSync(app, { recursive: true });
    runGit(outer, 'init', '-q');
    unpackBaseline(app);
    writeFiles(outer, { 'README.md': 'the outer project\n' });
    commitAll(outer, 'outer with app');
    writeFileSync(path.join(app, 'edit.txt'), lines(30, { 13: 'local' }));

    const result = await applyPatch(app, patch);
    expect(result.threeWay).toBe(true);
    expect(readFileSync(path.join(app, 'edit.txt'), 'utf8')).toBe(
      lines(30, { 13: 'local', 15: 'changed by the thread' }),
    );
    expect(existsSync(path.join(app, 'new-name.txt'))).toBe(true);
    expect(readFileSync(path.join(outer, 'README.md'), 'utf8')).toBe('the outer project\n');
  });

  it('writes bytes as they are, whatever .gitattributes the folder has', async () => {
    const plain = plainCopy();
    writeFileSync(path.join(plain, '.gitattributes'), '* text eol=crlf\n');
    await applyPatch(plain, patch);
    expect(readFileSync(path.join(plain, 'edit.txt'), 'utf8')).toBe(
      lines(30, { 15: 'changed by the thread' }),
    );
    expect(readFileSync(path.join(plain, 'src/added.ts'), 'utf8')).not.toContain('\r');
  });

  it('applies a mailbox of several commits touching the same file', async () => {
    count += 1;
    const repo = path.join(root.dir, `multi-${count}`);
    runGit(root.dir, 'clone', '-q', origin, repo);
    runGit(repo, 'checkout', '-q', baseline);
    writeFileSync(path.join(repo, 'keep.txt'), 'first change\n');
    commitAll(repo, 'one');
    writeFileSync(path.join(repo, 'keep.txt'), 'second change\n');
    writeFiles(repo, { 'later.txt': 'added later\n' });
    commitAll(repo, 'two');

    const plain = plainCopy();
    const result = await applyPatch(plain, formatPatch(repo, `${baseline}..HEAD`));
    expect(result.changes).toEqual([
      { change: 'modified', path: 'keep.txt' },
      { change: 'added', path: 'later.txt' },
    ]);
    expect(readFileSync(path.join(plain, 'keep.txt'), 'utf8')).toBe('second change\n');
  });

  it('does nothing for an empty patch', async () => {
    const plain = plainCopy();
    const before = fingerprint(plain);
    expect(await applyPatch(plain, new Uint8Array())).toEqual({ changes: [], threeWay: false });
    expect(fingerprint(plain)).toEqual(before);
  });
});

describe('a patch that conflicts', () => {
  it('refuses an edit of the same line, names the file, and leaves the folder byte for byte', async () => {
    const clone = cloneAtBaseline();
    writeFileSync(path.join(clone, 'edit.txt'), lines(30, { 15: 'my own edit' }));
    writeFiles(clone, { 'local-only.txt': 'untracked\n' });
    const before = fingerprint(clone);

    const error = await refusal(clone);
    expect(error).toBeInstanceOf(ApplyConflictError);
    expect(error.code).toBe('APPLY_CONFLICT');
    expect(error.conflicts).toEqual([
      { path: 'edit.txt', reason: 'your edits and the thread changes touch the same lines' },
    ]);
    expect(error.message).toBe(
      `the changes do not apply to ${clone}: 1 file conflicts; nothing was changed\n` +
        '  edit.txt: your edits and the thread changes touch the same lines',
    );
    expect(fingerprint(clone)).toEqual(before);
    expect(readFileSync(path.join(clone, 'edit.txt'), 'utf8')).not.toContain('<<<<<<<');
  });

  it('names every conflicting file, binary ones included, and applies none of the others', async () => {
    const clone = cloneAtBaseline();
    writeFileSync(path.join(clone, 'edit.txt'), lines(30, { 15: 'mine' }));
    writeFileSync(path.join(clone, 'logo.bin'), randomBytes(3000));
    writeFiles(clone, { 'src/added.ts': 'I made this file too\n' });
    rmSync(path.join(clone, 'old-name.txt'));
    const before = fingerprint(clone);

    const error = await refusal(clone);
    const overlap = 'your edits and the thread changes touch the same lines';
    expect([...error.conflicts].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'edit.txt', reason: overlap },
      { path: 'logo.bin', reason: 'a binary file that both you and the thread changed' },
      { path: 'old-name.txt', reason: 'does not exist in the folder' },
      { path: 'src/added.ts', reason: overlap },
    ]);
    expect(error.message).toMatch(/4 files conflict; nothing was changed/);
    expect(fingerprint(clone)).toEqual(before);
  });
});

describe('a patch that would leave the folder', () => {
  const newFile = (name: string, mode = '100644') =>
    Buffer.from(
      `diff --git a/${name} b/${name}\nnew file mode ${mode}\nindex 0000000..1111111\n--- /dev/null\n+++ b/${name}\n@@ -0,0 +1 @@\n+written\n`,
    );

  it('is refused for a path with .. or inside .git, and nothing is written', async () => {
    const plain = plainCopy();
    const clone = cloneAtBaseline();
    const before = fingerprint(root.dir);
    for (const [folder, name] of [
      [plain, '../escape.txt'],
      [plain, 'a/../../escape.txt'],
      [clone, '.git/hooks/post-checkout'],
      [clone, 'sub/.GIT/config'],
    ] as const) {
      await expect(applyPatch(folder, newFile(name, '100755'))).rejects.toMatchObject({
        code: 'PATCH_REFUSED',
        message: expect.stringContaining(JSON.stringify(name)),
      });
    }
    expect(fingerprint(root.dir)).toEqual(before);
  });

  it('is refused when a folder on the way is a symlink, even one pointing inside', async () => {
    const plain = plainCopy();
    const outside = path.join(root.dir, `outside-${count}`);
    mkdirSync(outside);
    symlinkSync(outside, path.join(plain, 'lib'));
    await expect(applyPatch(plain, newFile('lib/x.txt'))).rejects.toMatchObject({
      code: 'PATCH_REFUSED',
      message: expect.stringContaining('lib is a symbolic link'),
    });
    expect(existsSync(path.join(outside, 'x.txt'))).toBe(false);
  });

  it('is refused when a path it changes is not a file, a link or a folder', async () => {
    const plain = plainCopy();
    rmSync(path.join(plain, 'gone.txt'));
    execFileSync('mkfifo', [path.join(plain, 'gone.txt')]);
    await expect(applyPatch(plain, patch)).rejects.toMatchObject({
      code: 'PATCH_REFUSED',
      message: `gone.txt in ${plain} is not a regular file`,
    });
  });

  it('refuses a folder that does not exist or is a file, and a patch git cannot read', async () => {
    await expect(applyPatch(path.join(root.dir, 'nowhere'), patch)).rejects.toMatchObject({
      code: 'FOLDER_NOT_FOUND',
      message: `there is no folder ${path.join(root.dir, 'nowhere')}`,
    });
    const file = path.join(plainCopy(), 'keep.txt');
    await expect(applyPatch(file, patch)).rejects.toMatchObject({
      code: 'FOLDER_NOT_FOUND',
      message: `${file} is not a folder`,
    });
    await expect(
      applyPatch(plainCopy(), Buffer.from('diff --git a/x b/x\n@@ garbage\n')),
    ).rejects.toMatchObject({ code: 'PATCH_INVALID' });
  });
});
