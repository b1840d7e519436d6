import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  executeToolCall,
  type ExecuteContext,
  type RunCommand,
} from '../../../../src/agent/tools/index.js';
import { tempDir, writeFiles } from '../../../helpers/tmp.js';

const unusedRunner: RunCommand = async () => ({
  exitCode: 0,
  stdout: '',
  stderr: '',
  timedOut: false,
});

describe('file tools on a real workspace', () => {
  let tmp: { dir: string; cleanup(): void };
  let ctx: ExecuteContext;
  const call = (name: string, args: unknown) =>
    executeToolCall({ id: `${name}-1`, name, args }, ctx);

  beforeEach(() => {
    tmp = tempDir();
    ctx = { workspace: tmp.dir, runCommand: unusedRunner };
  });
  afterEach(() => tmp.cleanup());

  describe('write_file and read_file', () => {
    it('round-trips content, creating parent directories and reporting bytes and changes', async () => {
      const content = 'line 1\nline 2 ş\nline 3\nline 4\n';
      const write = await call('write_file', { path: 'src/deep/notes.txt', content });
      expect(write.observation).toMatchObject({
        ok: true,
        content: `Wrote ${Buffer.byteLength(content)} bytes to src/deep/notes.txt.`,
      });
      expect(write.filesChanged).toEqual(['src/deep/notes.txt']);
      expect(readFileSync(path.join(tmp.dir, 'src/deep/notes.txt'), 'utf8')).toBe(content);

      const read = await call('read_file', { path: './src/deep/notes.txt' });
      expect(read.observation).toEqual({
        ok: true,
        content: 'src/deep/notes.txt (4 lines)\n1\tline 1\n2\tline 2 ş\n3\tline 3\n4\tline 4',
      });
      expect(read.filesChanged).toEqual([]);
    });

    it('reads a line range, numbered from its first line, and refuses a start past the end', async () => {
      writeFiles(tmp.dir, { 'a.txt': 'one\ntwo\nthree\nfour\n' });
      const middle = await call('read_file', { path: 'a.txt', startLine: 2, endLine: 3 });
      expect(middle.observation.content).toBe('a.txt (lines 2-3 of 4)\n2\ttwo\n3\tthree');
      const tail = await call('read_file', { path: 'a.txt', startLine: 4 });
      expect(tail.observation.content).toBe('a.txt (lines 4-4 of 4)\n4\tfour');
      const head = await call('read_file', { path: 'a.txt', endLine: 99 });
      expect(head.observation.content).toBe(
        'a.txt (lines 1-4 of 4)\n1\tone\n2\ttwo\n3\tthree\n4\tfour',
      );
      const past = await call('read_file', { path: 'a.txt', startLine: 9 });
      expect(past.observation).toMatchObject({ ok: false, code: 'LINE_OUT_OF_RANGE' });
      expect(past.observation.content).toContain('has 4 lines');
      const backwards = await call('read_file', { path: 'a.txt', startLine: 3, endLine: 2 });
      expect(backwards.observation).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
      expect(backwards.observation.content).toContain(
        'endLine: endLine must be greater than or equal to startLine',
      );
    });

    it('numbers lines the way the file has them: blank lines, no final newline, CRLF', async () => {
      writeFiles(tmp.dir, { 'gaps.py': 'a = 1\n\n\nb = 2', 'dos.txt': 'x\r\ny\r\n' });
      expect((await call('read_file', { path: 'gaps.py' })).observation.content).toBe(
        'gaps.py (4 lines)\n1\ta = 1\n2\t\n3\t\n4\tb = 2',
      );
      expect((await call('read_file', { path: 'dos.txt' })).observation.content).toBe(
        'dos.txt (2 lines)\n1\tx\r\n2\ty\r',
      );
    });

    it('cuts a long file head and tail with a note, and refuses huge or binary files', async () => {
      writeFiles(tmp.dir, { 'big.txt': `HEAD${'x'.repeat(5000)}TAIL` });
      ctx.limits = { maxOutputBytes: 1000, maxFileBytes: 4000 };
      const big = await call('read_file', { path: 'big.txt' });
      expect(big.observation).toMatchObject({ ok: false, code: 'FILE_TOO_LARGE' });
      expect(big.observation.content).toContain('5008 bytes, over the 4000-byte read limit');

      writeFiles(tmp.dir, { 'long.txt': `HEAD${'x'.repeat(3000)}TAIL` });
      const long = await call('read_file', { path: 'long.txt' });
      expect(long.observation.ok).toBe(true);
      expect(long.observation.content).toMatch(
        /^long\.txt \(1 lines\)\n1\tHEADx+\n…\[2010 bytes omitted\]…\nx+TAIL\n/,
      );
      expect(long.observation.content).toContain('read smaller ranges with startLine/endLine');

      writeFileSync(path.join(tmp.dir, 'image.png'), Buffer.from([0x89, 0x50, 0x00, 0x01]));
      const binary = await call('read_file', { path: 'image.png' });
      expect(binary.observation).toMatchObject({ ok: false, code: 'BINARY_FILE' });
    });

    it('explains missing files, directories and empty files', async () => {
      mkdirSync(path.join(tmp.dir, 'dir'));
      writeFiles(tmp.dir, { 'empty.txt': '' });
      expect((await call('read_file', { path: 'nope.txt' })).observation).toEqual({
        ok: false,
        code: 'PATH_NOT_FOUND',
        content: 'nope.txt does not exist.',
      });
      expect((await call('read_file', { path: 'dir' })).observation.content).toBe(
        'dir is a directory.',
      );
      expect((await call('write_file', { path: 'dir', content: 'x' })).observation).toMatchObject({
        ok: false,
        content: 'dir is a directory.',
      });
      expect((await call('read_file', { path: 'empty.txt' })).observation.content).toBe(
        'empty.txt (0 lines)\n',
      );
    });
  });

  describe('edit_file', () => {
    const original = 'const a = 1;\nconst b = 2;\nconst a2 = 1;\n';
    beforeEach(() => writeFiles(tmp.dir, { 'code.ts': original }));
    const onDisk = () => readFileSync(path.join(tmp.dir, 'code.ts'));

    it('replaces a unique match and records the change', async () => {
      const result = await call('edit_file', {
        path: 'code.ts',
        oldText: 'b = 2',
        newText: 'b = 3',
      });
      expect(result.observation).toEqual({
        ok: true,
        content: 'Edited code.ts: replaced 1 occurrence at line 2.',
        filesChanged: ['code.ts'],
      });
      expect(result.filesChanged).toEqual(['code.ts']);
      expect(onDisk().toString()).toBe('const a = 1;\nconst b = 3;\nconst a2 = 1;\n');
    });

    it('leaves the file byte-identical when there is no match', async () => {
      const before = onDisk();
      const result = await call('edit_file', { path: 'code.ts', oldText: 'const c', newText: 'x' });
      expect(result.observation).toMatchObject({ ok: false, code: 'NO_MATCH' });
      expect(result.observation.content).toContain('(0 matches); file unchanged');
      expect(result.filesChanged).toEqual([]);
      expect(onDisk().equals(before)).toBe(true);
    });

    it('leaves the file byte-identical when there are two matches, and says how many', async () => {
      const before = onDisk();
      const result = await call('edit_file', {
        path: 'code.ts',
        oldText: ' = 1;',
        newText: ' = 9;',
      });
      expect(result.observation).toMatchObject({ ok: false, code: 'AMBIGUOUS_MATCH' });
      expect(result.observation.content).toContain('occurs 2 times in code.ts; file unchanged');
      expect(onDisk().equals(before)).toBe(true);
    });

    it('counts overlapping matches as ambiguous', async () => {
      writeFiles(tmp.dir, { 'aaa.txt': 'aaa' });
      const result = await call('edit_file', { path: 'aaa.txt', oldText: 'aa', newText: 'b' });
      expect(result.observation.content).toContain('occurs 2 times');
      expect(readFileSync(path.join(tmp.dir, 'aaa.txt'), 'utf8')).toBe('aaa');
    });

    it('refuses a file that is not UTF-8 text and leaves its bytes as they were', async () => {
      const latin1 = Buffer.from('name = "caf\xe9"\nb = 2\n', 'latin1');
      writeFileSync(path.join(tmp.dir, 'legacy.py'), latin1);
      const result = await call('edit_file', {
        path: 'legacy.py',
        oldText: 'b = 2',
        newText: 'b = 3',
      });
      expect(result.observation).toMatchObject({ ok: false, code: 'NOT_UTF8_TEXT' });
      expect(readFileSync(path.join(tmp.dir, 'legacy.py')).equals(latin1)).toBe(true);
    });

    it('explains a missing file and a file over the size limit', async () => {
      const missing = await call('edit_file', { path: 'none.ts', oldText: 'a', newText: 'b' });
      expect(missing.observation).toMatchObject({ ok: false, code: 'PATH_NOT_FOUND' });
      ctx.limits = { maxFileBytes: 10 };
      const big = await call('edit_file', { path: 'code.ts', oldText: 'b = 2', newText: 'b = 3' });
      expect(big.observation).toMatchObject({ ok: false, code: 'FILE_TOO_LARGE' });
      expect(onDisk().toString()).toBe(original);
    });
  });

  describe('delete_file', () => {
    it('deletes a file and records it', async () => {
      writeFiles(tmp.dir, { 'gone.txt': 'bye' });
      const result = await call('delete_file', { path: 'gone.txt' });
      expect(result.observation).toMatchObject({ ok: true, content: 'Deleted gone.txt.' });
      expect(result.filesChanged).toEqual(['gone.txt']);
      expect(existsSync(path.join(tmp.dir, 'gone.txt'))).toBe(false);
    });

    it('refuses directories (including the root) and explains missing files', async () => {
      writeFiles(tmp.dir, { 'dir/keep.txt': 'keep' });
      for (const target of ['dir', '.']) {
        const result = await call('delete_file', { path: target });
        expect(result.observation).toMatchObject({ ok: false, code: 'IS_DIRECTORY' });
        expect(result.observation.content).toContain('removes files only');
      }
      expect(readFileSync(path.join(tmp.dir, 'dir/keep.txt'), 'utf8')).toBe('keep');
      const missing = await call('delete_file', { path: 'dir/none.txt' });
      expect(missing.observation).toEqual({
        ok: false,
        code: 'PATH_NOT_FOUND',
        content: 'dir/none.txt does not exist.',
      });
    });
  });

  describe('list_files', () => {
    beforeEach(() => {
      writeFiles(tmp.dir, {
        'README.md': 'x'.repeat(2048),
        'src/index.ts': 'export {};\n',
        'src/lib/util.ts': '',
        'src/lib/deep/more/leaf.ts': '',
        '.git/HEAD': 'ref: refs/heads/main\n',
        'node_modules/pkg/index.js': '',
      });
      symlinkSync('/etc', path.join(tmp.dir, 'etc-link'));
    });

    it('lists a recursive tree with sizes, skipping .git and node_modules and not following links', async () => {
      const result = await call('list_files', {});
      expect(result.observation).toEqual({
        ok: true,
        content: [
          'Workspace root: 11 entries',
          '.git/ (skipped)',
          'etc-link (symlink)',
          'node_modules/ (skipped)',
          'README.md (2.0 KB)',
          'src/',
          'src/index.ts (11 B)',
          'src/lib/',
          'src/lib/deep/',
          'src/lib/deep/more/',
          'src/lib/deep/more/leaf.ts (0 B)',
          'src/lib/util.ts (0 B)',
        ].join('\n'),
      });
    });

    it('caps depth and entries with a note', async () => {
      const shallow = await call('list_files', { path: 'src', depth: 2 });
      expect(shallow.observation.content).toBe(
        [
          'src/: 4 entries',
          'src/index.ts (11 B)',
          'src/lib/',
          'src/lib/deep/ (not expanded)',
          'src/lib/util.ts (0 B)',
        ].join('\n'),
      );
      ctx.limits = { maxListEntries: 3 };
      const capped = await call('list_files', { path: '.' });
      expect(capped.observation.content.split('\n').slice(0, 4)).toEqual([
        'Workspace root: 3 entries',
        '.git/ (skipped)',
        'etc-link (symlink)',
        'node_modules/ (skipped)',
      ]);
      expect(capped.observation.content).toContain('listing stopped at 3 entries');
    });

    it('explains files, missing directories and empty directories', async () => {
      expect((await call('list_files', { path: 'README.md' })).observation).toMatchObject({
        ok: false,
        code: 'NOT_A_DIRECTORY',
      });
      expect((await call('list_files', { path: 'nope' })).observation).toMatchObject({
        ok: false,
        code: 'PATH_NOT_FOUND',
      });
      mkdirSync(path.join(tmp.dir, 'empty'));
      expect((await call('list_files', { path: 'empty' })).observation.content).toBe(
        'empty/: 0 entries\n(empty directory)',
      );
    });

    it('formats megabyte sizes', async () => {
      writeFileSync(path.join(tmp.dir, 'src/blob.bin'), Buffer.alloc(3 * 1024 * 1024));
      const result = await call('list_files', { path: 'src', depth: 1 });
      expect(result.observation.content).toContain('src/blob.bin (3.0 MB)');
    });
  });
});
