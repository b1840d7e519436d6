import { conflictsFrom, describeConflicts } from '../../../src/client/apply-conflicts.js';

// What `git apply` says (C locale), turned into one reason per file.

describe('conflictsFrom', () => {
  it('reads each kind of refusal git reports, first reason per file winning', () => {
    const stderr = [
      'error: patch failed: src/a.ts:12',
      'error: src/a.ts: patch does not apply',
      'error: new file.txt: already exists in working directory',
      'error: gone.txt: does not exist in index',
      'error: other.txt: No such file or directory',
      "error: cannot apply binary patch to 'img.png' without full index line",
      "error: the patch applies to 'blob.bin' (0123abcd), which does not match the current contents.",
      'error: link: wrong type',
      "error: affected file 'lib/x.ts' is beyond a symbolic link",
      'error: repository lacks the necessary blob to perform 3-way merge.',
      'Falling back to direct application...',
    ].join('\n');
    expect(conflictsFrom([], stderr)).toEqual([
      { path: 'src/a.ts', reason: expect.stringContaining('differs from the version') },
      { path: 'new file.txt', reason: 'already exists in the folder' },
      { path: 'gone.txt', reason: 'does not exist in the folder' },
      { path: 'other.txt', reason: 'does not exist in the folder' },
      { path: 'img.png', reason: expect.stringContaining('differs') },
      { path: 'blob.bin', reason: expect.stringContaining('differs') },
      { path: 'link', reason: 'is not the kind of file the thread changed' },
      { path: 'lib/x.ts', reason: 'is inside a symbolic link' },
    ]);
  });

  it('puts merge conflicts first, with binary files told apart', () => {
    const stderr = [
      "Applied patch to 'both.txt' with conflicts.",
      'warning: Cannot merge binary files: pic.png (ours vs. theirs)',
      "Applied patch to 'pic.png' with conflicts.",
      'U both.txt',
    ].join('\n');
    expect(conflictsFrom(['both.txt'], stderr)).toEqual([
      { path: 'both.txt', reason: 'your edits and the thread changes touch the same lines' },
      { path: 'pic.png', reason: 'a binary file that both you and the thread changed' },
    ]);
  });

  it("falls back on git's own words when it recognises nothing", () => {
    expect(conflictsFrom([], 'error: corrupt patch at line 7\nerror: something else')).toEqual([
      { path: '', reason: 'corrupt patch at line 7' },
      { path: '', reason: 'something else' },
    ]);
    expect(conflictsFrom([], 'fatal: odd\n')).toEqual([{ path: '', reason: 'fatal: odd' }]);
    expect(conflictsFrom([], '')).toEqual([{ path: '', reason: 'git apply failed' }]);
  });
});

describe('describeConflicts', () => {
  it('counts the files and lists one per line', () => {
    expect(
      describeConflicts('/home/ana/app', [
        { path: 'a.txt', reason: 'r1' },
        { path: 'b.txt', reason: 'r2' },
      ]),
    ).toBe(
      'the changes do not apply to /home/ana/app: 2 files conflict; nothing was changed\n  a.txt: r1\n  b.txt: r2',
    );
    expect(describeConflicts('/w', [{ path: '', reason: 'corrupt patch' }])).toBe(
      'the changes do not apply to /w; nothing was changed\n  corrupt patch',
    );
  });
});
