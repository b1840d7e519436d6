import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  executeToolCall,
  type ExecuteContext,
  type RunCommand,
} from '../../../../src/agent/tools/index.js';
import { tempDir, writeFiles } from '../../../helpers/tmp.js';

// `search` against real workspaces with the real ripgrep (Debian package `ripgrep`).

const unusedRunner: RunCommand = async () => {
  throw new Error('search never runs commands');
};

describe('search on a real workspace with ripgrep', () => {
  let tmp: { dir: string; cleanup(): void };
  /** The workspace, one level down, so a .gitignore above it can be tested. */
  let workspace: string;
  let ctx: ExecuteContext;
  const search = async (args: unknown) =>
    (await executeToolCall({ id: 'search-1', name: 'search', args }, ctx)).observation;

  beforeEach(() => {
    tmp = tempDir('atolye-search-');
    workspace = path.join(tmp.dir, 'ws');
    mkdirSync(workspace);
    ctx = { workspace, runCommand: unusedRunner };
  });
  afterEach(() => tmp.cleanup());

  it('answers file:line:text with a count, honouring .gitignore (nested too) without a git repository', async () => {
    writeFiles(tmp.dir, { '.gitignore': '*.py\n' }); // Above the workspace: not the workspace's rule.
    writeFiles(workspace, {
      '.gitignore': 'build/\nsecret.py\n',
      'app.py': 'import os\n\ndef main():\n    return os.getcwd()\n',
      'secret.py': 'def main(): pass\n',
      'build/out.py': 'def main(): pass\n',
      'pkg/.gitignore': 'generated.py\n',
      'pkg/generated.py': 'def main(): pass\n',
      'pkg/mod.py': 'class A:\n    def main(self):\n        pass\n',
      'generated.py': 'def main(): pass  # only ignored inside pkg/\n',
    });
    const found = await search({ pattern: 'def main' });
    expect(found).toEqual({
      ok: true,
      content: [
        '3 matching lines in 3 files:',
        'app.py:3:def main():',
        'generated.py:1:def main(): pass  # only ignored inside pkg/',
        'pkg/mod.py:2:    def main(self):',
      ].join('\n'),
    });
  });

  it('searches hidden files but never .git, and does not follow symlinks', async () => {
    const outside = path.join(tmp.dir, 'outside');
    writeFiles(outside, { 'leak.txt': 'needle outside\n' });
    writeFiles(workspace, {
      '.config/settings.toml': 'needle = true\n',
      '.git/config': 'needle in git\n',
      '.git/HEAD': 'ref: refs/heads/main\n',
    });
    symlinkSync(outside, path.join(workspace, 'link-dir'));
    symlinkSync(path.join(outside, 'leak.txt'), path.join(workspace, 'link.txt'));
    const found = await search({ pattern: 'needle' });
    expect(found.content).toBe('1 matching line in 1 file:\n.config/settings.toml:1:needle = true');

    const viaLink = await search({ pattern: 'needle', path: 'link-dir' });
    expect(viaLink).toMatchObject({ ok: false, code: 'PATH_SYMLINK_OUTSIDE' });
  });

  it('skips binary files whole, even when the text before the first NUL byte matches', async () => {
    const textThenBinary = Buffer.concat([
      Buffer.from('needle early\n'.repeat(20_000)),
      Buffer.from([0, 1, 2]),
    ]);
    writeFileSync(path.join(workspace, 'image.png'), Buffer.from('needle\0\x01\x02'));
    writeFileSync(path.join(workspace, 'late.bin'), textThenBinary);
    writeFiles(workspace, { 'notes.md': 'a needle in text\n' });
    expect((await search({ pattern: 'needle' })).content).toBe(
      '1 matching line in 1 file:\nnotes.md:1:a needle in text',
    );
  });

  it('caps matches, line length and bytes, and says how many were left out', async () => {
    writeFiles(workspace, {
      'many.txt': Array.from({ length: 50 }, (_, i) => `hit ${i}`).join('\n'),
      'wide.txt': `${'a'.repeat(500)}hit${'b'.repeat(500)}\n`,
    });
    ctx.limits = { maxSearchResults: 3, maxSearchLineChars: 40 };
    const capped = await search({ pattern: 'hit' });
    expect(capped.ok).toBe(true);
    expect(capped.content.split('\n')).toEqual([
      '51 matching lines in 2 files:',
      'many.txt:1:hit 0',
      'many.txt:2:hit 1',
      'many.txt:3:hit 2',
      '[48 more matching lines not shown; narrow the search: a sub-folder in path, a glob, or a more specific pattern.]',
    ]);

    const wide = await search({ pattern: 'hit', path: 'wide.txt' });
    // Cut around the match, a quarter of the width before it.
    expect(wide.content).toBe(
      `1 matching line in 1 file in wide.txt:\nwide.txt:1:…${'a'.repeat(10)}hit${'b'.repeat(27)}…`,
    );

    ctx.limits = { maxSearchResults: 100, maxOutputBytes: 512 + 40 };
    const bytes = await search({ pattern: 'hit', path: 'many.txt' });
    expect(bytes.content.split('\n')).toEqual([
      '50 matching lines in 1 file in many.txt:',
      'many.txt:1:hit 0',
      'many.txt:2:hit 1',
      '[48 more matching lines not shown; narrow the search: a sub-folder in path, a glob, or a more specific pattern.]',
    ]);
  });

  it('finds files by name with a glob, leaving out ignored files even when the glob names them', async () => {
    writeFiles(workspace, {
      '.gitignore': 'venv/\nold.test.py\n',
      'tests/a.test.py': '',
      'tests/unit/b.test.py': '',
      'tests/helpers.py': '',
      'old.test.py': '',
      'venv/lib/c.test.py': '',
      'src/tests/d.test.py': '',
    });
    expect(await search({ glob: '**/*.test.py' })).toEqual({
      ok: true,
      content: [
        '3 files match "**/*.test.py":',
        'src/tests/d.test.py',
        'tests/a.test.py',
        'tests/unit/b.test.py',
      ].join('\n'),
    });
    // A glob with a slash is anchored at `path`; one without matches names at any depth.
    expect((await search({ glob: 'unit/*.py', path: 'tests' })).content).toBe(
      '1 file matches "unit/*.py" in tests:\ntests/unit/b.test.py',
    );
    expect(
      (await search({ glob: '*.TEST.PY', path: 'tests', caseInsensitive: true })).content,
    ).toBe('2 files match "*.TEST.PY" in tests:\ntests/a.test.py\ntests/unit/b.test.py');
    ctx.limits = { maxSearchResults: 1 };
    expect((await search({ glob: '*.py' })).content.split('\n')).toEqual([
      '4 files match "*.py":',
      'src/tests/d.test.py',
      '[3 more files not shown; narrow the search with path or a more specific glob.]',
    ]);
    expect(await search({ glob: '*.rs' })).toEqual({
      ok: true,
      content: 'No files match "*.rs" (files ignored by .gitignore, and .git, are left out).',
    });
  });

  it('searches contents of the files a glob names, and keeps to path', async () => {
    writeFiles(workspace, {
      '.gitignore': '*.log\nignored.ts\n',
      'src/a.ts': 'TODO: a\n',
      'src/a.md': 'TODO: md\n',
      'src/ignored.ts': 'TODO: ignored\n',
      'src/debug.log': 'TODO: log\n',
      'lib/b.ts': 'TODO: b\n',
    });
    expect((await search({ pattern: 'TODO', glob: '*.ts' })).content).toBe(
      '2 matching lines in 2 files (files matching "*.ts"):\nlib/b.ts:1:TODO: b\nsrc/a.ts:1:TODO: a',
    );
    // The root .gitignore still rules inside the sub-folder.
    expect((await search({ pattern: 'todo', path: 'src/', caseInsensitive: true })).content).toBe(
      '2 matching lines in 2 files in src:\nsrc/a.md:1:TODO: md\nsrc/a.ts:1:TODO: a',
    );
    expect(await search({ pattern: 'todo', path: 'src' })).toEqual({
      ok: true,
      content:
        'No matches for "todo" in src. Files ignored by .gitignore, binary files and .git are not searched.',
    });
  });

  it('takes patterns and globs that start with a dash, and names with spaces and non-ASCII letters', async () => {
    writeFiles(workspace, {
      'dir with space/ünïcødé file.txt': 'flag --verbose here\n',
      '-rf.txt': '-e not an option\n',
    });
    expect((await search({ pattern: '--verbose' })).content).toBe(
      '1 matching line in 1 file:\ndir with space/ünïcødé file.txt:1:flag --verbose here',
    );
    expect((await search({ pattern: '-e not' })).content).toBe(
      '1 matching line in 1 file:\n-rf.txt:1:-e not an option',
    );
    expect((await search({ glob: '-*' })).content).toBe('1 file matches "-*":\n-rf.txt');
    expect((await search({ glob: 'ü*', path: 'dir with space' })).content).toBe(
      '1 file matches "ü*" in dir with space:\ndir with space/ünïcødé file.txt',
    );
  });

  it('refuses paths outside the workspace and explains missing ones, as observations', async () => {
    writeFiles(tmp.dir, { 'secret.txt': 'password\n' });
    for (const [target, code] of [
      ['..', 'PATH_OUTSIDE_WORKSPACE'],
      ['../secret.txt', 'PATH_OUTSIDE_WORKSPACE'],
      ['/etc', 'PATH_ABSOLUTE'],
      ['%2e%2e', 'PATH_OUTSIDE_WORKSPACE'],
    ] as const) {
      const refused = await search({ pattern: 'password', path: target });
      expect(refused).toMatchObject({ ok: false, code });
      expect(refused.content).toMatch(/^Refused: /);
    }
    expect(await search({ pattern: 'x', path: 'nope' })).toEqual({
      ok: false,
      code: 'PATH_NOT_FOUND',
      content: 'nope does not exist.',
    });
    symlinkSync('.', path.join(workspace, 'self'));
    expect(await search({ pattern: 'x', path: 'self' })).toMatchObject({
      ok: false,
      code: 'SYMLINK_NOT_FOLLOWED',
    });
  });

  it('turns an invalid regex or glob into an observation with ripgrep`s message', async () => {
    writeFiles(workspace, { 'a.txt': 'a\n' });
    const regex = await search({ pattern: 'foo(' });
    expect(regex).toMatchObject({ ok: false, code: 'INVALID_PATTERN' });
    expect(regex.content).toMatch(/^The pattern is not a valid regular expression/);
    expect(regex.content).toContain('unclosed group');
    const glob = await search({ glob: 'src/[' });
    expect(glob).toMatchObject({ ok: false, code: 'INVALID_GLOB' });
    expect(glob.content).toContain("error parsing glob 'src/['");
  });

  it('names the package to install when rg is missing, and stops a search that runs too long', async () => {
    writeFiles(workspace, { 'a.txt': 'a\n' });
    ctx.ripgrep = path.join(tmp.dir, 'no-such-rg');
    for (const args of [{ pattern: 'a' }, { glob: '*.txt' }]) {
      const missing = await search(args);
      expect(missing).toMatchObject({ ok: false, code: 'SEARCH_UNAVAILABLE' });
      expect(missing.content).toContain('apt-get install ripgrep');
    }

    // A stand-in that never answers: the timeout, not rg, ends it.
    const slow = path.join(tmp.dir, 'slow-rg');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    ctx.ripgrep = slow;
    ctx.limits = { searchTimeoutMs: 300 };
    const started = Date.now();
    const stopped = await search({ pattern: 'a' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stopped).toMatchObject({ ok: false, code: 'SEARCH_TIMED_OUT' });
    expect(stopped.content).toContain('The search stopped after 0.3 s');
  });

  it('passes on what rg reports about files it could not read, and refuses output it does not understand', async () => {
    const fake = (name: string, script: string) => {
      const file = path.join(tmp.dir, name);
      writeFileSync(file, `#!/bin/sh\n${script}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    // As rg answers when a file is unreadable (not reproducible as root, who reads everything).
    ctx.ripgrep = fake(
      'rg-denied',
      "echo './locked.txt: Permission denied (os error 13)' >&2; exit 2",
    );
    expect(await search({ pattern: 'a' })).toEqual({
      ok: true,
      content: [
        'No matches for "a". Files ignored by .gitignore, binary files and .git are not searched.',
        '[Some files could not be searched: ./locked.txt: Permission denied (os error 13)]',
      ].join('\n'),
    });
    ctx.ripgrep = fake('rg-odd', `echo '{"type":"begin","data":{}}'`);
    const odd = await search({ pattern: 'a' });
    expect(odd).toMatchObject({ ok: false, code: 'TOOL_FAILED' });
    expect(odd.content).toMatch(
      /^search failed: rg printed a message the search does not understand/,
    );
  });
});
