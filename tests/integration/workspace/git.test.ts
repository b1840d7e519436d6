import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  cpSync,
} from 'node:fs';
import path from 'node:path';
import {
  baselineOf,
  diff as diffBytes,
  diffStat,
  ensureBaseline,
  formatPatch as patchBytes,
  gitWorkspace,
  snapshot,
  type DiffOptions,
  type GitWorkspace,
} from '../../../src/workspace/git.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  }).toString('utf8');

const diff = async (ws: GitWorkspace, options?: DiffOptions): Promise<string> =>
  (await diffBytes(ws, options)).toString('utf8');
const formatPatch = async (ws: GitWorkspace, subject: string): Promise<string> =>
  (await patchBytes(ws, subject)).toString('utf8');

const ODD = ['with space.txt', 'ünïcödé.md', '-leading-dash.txt', 'new\nline.txt'];

describe('the git baseline of a workspace', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('diffs against the baseline: modified, added, deleted, renamed and binary files', async () => {
    const ws = gitWorkspace(tmp.dir, 'thread-1');
    writeFiles(ws.workTree, {
      'keep.txt': 'same\n',
      'edit.py': 'def add(a, b):\n    return a - b\n',
      'gone.txt': 'bye\n',
      'moved-from.txt': 'a fairly long line that survives a rename unchanged\n'.repeat(5),
    });
    writeFileSync(path.join(ws.workTree, 'logo.bin'), Buffer.from([0, 1, 2, 3, 255, 0]));
    const baseline = await ensureBaseline(ws);
    expect(await baselineOf(ws)).toBe(baseline);
    expect(await diff(ws)).toBe('');

    writeFileSync(path.join(ws.workTree, 'edit.py'), 'def add(a, b):\n    return a + b\n');
    rmSync(path.join(ws.workTree, 'gone.txt'));
    renameSync(path.join(ws.workTree, 'moved-from.txt'), path.join(ws.workTree, 'moved-to.txt'));
    writeFileSync(path.join(ws.workTree, 'logo.bin'), Buffer.from([0, 9, 9, 9, 255, 0]));
    writeFileSync(path.join(ws.workTree, 'added.txt'), 'new\n');

    const text = await diff(ws);
    expect(text).toContain('diff --git a/edit.py b/edit.py');
    expect(text).toContain('-    return a - b\n+    return a + b');
    expect(text).toContain('deleted file mode 100644');
    expect(text).toContain('rename from moved-from.txt\nrename to moved-to.txt');
    expect(text).toContain('Binary files a/logo.bin and b/logo.bin differ');
    expect(text).toContain('new file mode 100644');
    expect(text).not.toContain('keep.txt');
    expect(await diffStat(ws)).toMatch(/5 files changed/);
    // The baseline did not move.
    expect(await baselineOf(ws)).toBe(baseline);
  });

  it('honours .gitignore and never looks at a .git the model made in the workspace', async () => {
    const ws = gitWorkspace(tmp.dir, 'thread-2');
    writeFiles(ws.workTree, { '.gitignore': 'secret.env\nnode_modules/\n', 'a.txt': 'a\n' });
    const baseline = await ensureBaseline(ws);
    writeFiles(ws.workTree, {
      'secret.env': 'TOKEN=1',
      'node_modules/x/index.js': '1',
      'a.txt': 'b\n',
    });
    // The model runs git itself in the workspace: its repository is its own.
    git(ws.workTree, 'init', '-q');
    git(ws.workTree, 'add', '-A');
    git(ws.workTree, 'commit', '-qm', 'model commit');
    const text = await diff(ws);
    expect(text).toContain('a/a.txt');
    expect(text).not.toContain('secret.env');
    expect(text).not.toContain('node_modules');
    expect(text).not.toContain('.git/');
    expect(await baselineOf(ws)).toBe(baseline);
    // The product's repository is outside the folder the sandbox sees.
    expect(path.relative(ws.workTree, ws.gitDir).startsWith('..')).toBe(true);
  });

  it('keeps odd file names intact from the workspace to an applied patch', async () => {
    const ws = gitWorkspace(tmp.dir, 'thread-3');
    mkdirSync(ws.workTree, { recursive: true });
    await ensureBaseline(ws);
    for (const name of ODD) writeFileSync(path.join(ws.workTree, name), `${name}\n`);
    const patch = await formatPatch(ws, 'Changes');
    expect(patch).toMatch(/^From [0-9a-f]{40} /);

    const target = path.join(tmp.dir, 'user-copy');
    mkdirSync(target);
    git(target, 'init', '-q');
    writeFileSync(path.join(tmp.dir, 'changes.patch'), patch);
    git(target, 'am', '-q', path.join(tmp.dir, 'changes.patch'));
    for (const name of ODD) {
      expect(readFileSync(path.join(target, name), 'utf8')).toBe(`${name}\n`);
    }
  });

  it('gives a patch with binary files that git apply takes onto the baseline', async () => {
    const ws = gitWorkspace(tmp.dir, 'thread-4');
    writeFiles(ws.workTree, { 'a.txt': 'one\n' });
    writeFileSync(path.join(ws.workTree, 'b.bin'), Buffer.from([0, 1, 2]));
    await ensureBaseline(ws);
    const copy = path.join(tmp.dir, 'copy');
    cpSync(ws.workTree, copy, { recursive: true });
    writeFileSync(path.join(ws.workTree, 'b.bin'), Buffer.from([0, 7, 7, 7]));
    writeFileSync(path.join(ws.workTree, 'a.txt'), 'two\n');
    expect(await formatPatch(ws, 'x')).toContain('GIT binary patch');
    writeFileSync(path.join(tmp.dir, 'p.patch'), await formatPatch(ws, 'x'));
    git(copy, 'apply', path.join(tmp.dir, 'p.patch'));
    expect(readFileSync(path.join(copy, 'b.bin'))).toEqual(Buffer.from([0, 7, 7, 7]));
    expect(readFileSync(path.join(copy, 'a.txt'), 'utf8')).toBe('two\n');
  });

  it('keeps the bytes of a file that is not UTF-8 in the patch', async () => {
    const ws = gitWorkspace(tmp.dir, 'thread-latin1');
    mkdirSync(ws.workTree, { recursive: true });
    const before = Buffer.from('caf\xe9 = 1\n', 'latin1');
    writeFileSync(path.join(ws.workTree, 'legacy.txt'), before);
    await ensureBaseline(ws);
    const copy = path.join(tmp.dir, 'latin1-copy');
    cpSync(ws.workTree, copy, { recursive: true });
    const after = Buffer.from('caf\xe9 = 2\n', 'latin1');
    writeFileSync(path.join(ws.workTree, 'legacy.txt'), after);
    writeFileSync(path.join(tmp.dir, 'latin1.patch'), await patchBytes(ws, 'x'));
    git(copy, 'apply', path.join(tmp.dir, 'latin1.patch'));
    expect(readFileSync(path.join(copy, 'legacy.txt')).equals(after)).toBe(true);
  });

  it('is empty when nothing changed, and diffs one run between its snapshots', async () => {
    const ws = gitWorkspace(tmp.dir, 'thread-5');
    writeFiles(ws.workTree, { 'a.txt': '1\n' });
    expect(await formatPatch(ws, 'nothing')).toBe('');
    writeFiles(ws.workTree, { 'a.txt': '2\n' });
    const start = await snapshot(ws, 'refs/atolye/runs/r2/start', 'before r2');
    writeFiles(ws.workTree, { 'b.txt': 'run two\n' });
    const end = await snapshot(ws, 'refs/atolye/runs/r2/end', 'after r2');
    writeFiles(ws.workTree, { 'c.txt': 'later\n' });
    const runOnly = await diff(ws, { from: start, to: end });
    expect(runOnly).toContain('b/b.txt');
    expect(runOnly).not.toContain('a.txt');
    expect(runOnly).not.toContain('c.txt');
    const whole = await diff(ws);
    expect(whole).toContain('b/a.txt');
    expect(whole).toContain('b/c.txt');
    expect(existsSync(path.join(ws.workTree, '.git'))).toBe(false);
  });
});
