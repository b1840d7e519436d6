import { realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveInside, resolveLexically } from '../../../../src/agent/tools/index.js';
import { tempDir } from '../../../helpers/tmp.js';

describe('resolveLexically', () => {
  it.each([
    ['a.txt', 'a.txt'],
    ['./src/index.ts', 'src/index.ts'],
    ['src//lib/', 'src/lib'],
    ['a/../b.txt', 'b.txt'],
    ['.', '.'],
    ['a/..', '.'],
    ['100%25.txt', '100%25.txt'],
    ['50% off.txt', '50% off.txt'],
    ['..foo', '..foo'],
    // On POSIX a backslash is part of a name, not a separator: no way out of the workspace.
    ['..\\secret.txt', '..\\secret.txt'],
    ['a\\..\\..\\x', 'a\\..\\..\\x'],
    ['..%5csecret.txt', '..%5csecret.txt'],
    ['line\nbreak.txt', 'line\nbreak.txt'],
    ['x'.repeat(255), 'x'.repeat(255)],
    [`${'a/'.repeat(2_047)}b`, `${'a/'.repeat(2_047)}b`],
  ])('accepts %j as %j', (input, relative) => {
    expect(resolveLexically(input)).toEqual({ ok: true, relative });
  });

  it.each([
    ['', 'PATH_EMPTY'],
    ['   ', 'PATH_EMPTY'],
    ['/etc/passwd', 'PATH_ABSOLUTE'],
    ['C:/Windows', 'PATH_ABSOLUTE'],
    ['..', 'PATH_OUTSIDE_WORKSPACE'],
    ['../secret.txt', 'PATH_OUTSIDE_WORKSPACE'],
    ['a/../../x', 'PATH_OUTSIDE_WORKSPACE'],
    ['a/b/../../../x', 'PATH_OUTSIDE_WORKSPACE'],
    ['src/../../../etc/passwd', 'PATH_OUTSIDE_WORKSPACE'],
    ['a\0b', 'PATH_NUL_BYTE'],
    ['a%00b', 'PATH_NUL_BYTE'],
    ['x'.repeat(256), 'PATH_TOO_LONG'],
    ['é'.repeat(128), 'PATH_TOO_LONG'],
    [`src/${'y'.repeat(300)}/a.ts`, 'PATH_TOO_LONG'],
    [`${'a/'.repeat(2_048)}b`, 'PATH_TOO_LONG'],
    ['%2e%2e/secret.txt', 'PATH_OUTSIDE_WORKSPACE'],
    ['%2e%2e%2fsecret.txt', 'PATH_OUTSIDE_WORKSPACE'],
    ['..%2fsecret.txt', 'PATH_OUTSIDE_WORKSPACE'],
    ['%2E%2E%2F%2E%2E%2Fetc', 'PATH_OUTSIDE_WORKSPACE'],
    ['%2fetc%2fpasswd', 'PATH_ABSOLUTE'],
  ])('refuses %j with %s', (input, code) => {
    const result = resolveLexically(input);
    expect(result).toMatchObject({ ok: false, code });
  });

  it('says when the refusal came from percent-decoding', () => {
    const result = resolveLexically('%2e%2e%2fsecret.txt');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/after percent-decoding/);
  });

  it('refuses a workspace root that is not absolute, as a programming error', async () => {
    await expect(resolveInside('relative/root', 'a.txt')).rejects.toMatchObject({
      code: 'WORKSPACE_NOT_ABSOLUTE',
    });
  });
});

describe('what a refusal tells the model', () => {
  const reason = (userPath: string): string => {
    const result = resolveLexically(userPath);
    return result.ok ? 'accepted' : result.reason;
  };

  it.each([
    ['', 'Path is empty; use "." for the workspace root.'],
    ['a\0b', 'Path "a\\u0000b" contains a NUL byte.'],
    ['/etc/passwd', 'Path "/etc/passwd" is absolute; give a path relative to the workspace root.'],
    ['../x', 'Path "../x" leads outside the workspace.'],
    // Refused as written: the decoded form is not looked at, so the reason names no decoding.
    ['../a%20b', 'Path "../a%20b" leads outside the workspace.'],
    ['%2e%2e/x', 'Path "%2e%2e/x" leads outside the workspace. (after percent-decoding)'],
  ])('%j: %s', (userPath, expected) => {
    expect(reason(userPath)).toBe(expected);
  });

  it('a colon inside a name is an ordinary character; a drive letter is absolute', () => {
    expect(resolveLexically('notes/v2:draft.txt')).toEqual({
      ok: true,
      relative: 'notes/v2:draft.txt',
    });
    expect(resolveLexically('c:notes')).toMatchObject({ ok: false, code: 'PATH_ABSOLUTE' });
  });

  it('shows a path too long cut short', () => {
    const long = `${'d/'.repeat(40)}${'n'.repeat(256)}`;
    expect(reason(long)).toBe(
      `Path ${JSON.stringify(long).slice(0, 60)}…" has a name longer than 255 bytes, which no file system here can hold; shorten it.`,
    );
    expect(reason(`${'a/'.repeat(2_048)}b`)).toBe(
      `Path ${JSON.stringify(`${'a/'.repeat(2_048)}b`).slice(0, 60)}…" is longer than 4095 bytes, which no file system here can hold; shorten it.`,
    );
  });

  it('refuses a relative workspace root by name', async () => {
    await expect(resolveInside('relative/root', 'a.txt')).rejects.toThrow(
      'Workspace root must be absolute, got relative/root.',
    );
  });
});

describe('resolveInside on a real folder', () => {
  let root: ReturnType<typeof tempDir>;
  let real: string;

  beforeAll(() => {
    root = tempDir('atolye-workspace-paths-');
    real = realpathSync(root.dir);
    writeFileSync(path.join(root.dir, 'line\nbreak.txt'), 'x');
    writeFileSync(path.join(root.dir, 'back\\slash.txt'), 'x');
  });
  afterAll(() => root.cleanup());

  it('resolves the root itself and a path under it to absolute paths', async () => {
    expect(await resolveInside(root.dir, '.')).toEqual({ ok: true, absolute: real, relative: '.' });
    expect(await resolveInside(root.dir, 'a/b.txt')).toEqual({
      ok: true,
      absolute: path.join(real, 'a/b.txt'),
      relative: 'a/b.txt',
    });
  });

  it('reaches an existing name whatever its characters, and refuses them in a new one', async () => {
    expect(await resolveInside(root.dir, 'line\nbreak.txt')).toMatchObject({ ok: true });
    expect(await resolveInside(root.dir, 'back\\slash.txt')).toMatchObject({ ok: true });
    expect(await resolveInside(root.dir, 'new\tname.txt')).toEqual({
      ok: false,
      code: 'PATH_CONTROL_CHARACTER',
      reason:
        'Path "new\\tname.txt" contains a control character (a newline, a tab…) in a new name; leave it out.',
    });
    expect(await resolveInside(root.dir, 'dir\\new.txt')).toEqual({
      ok: false,
      code: 'PATH_BACKSLASH',
      reason:
        'Path "dir\\\\new.txt" contains a backslash in a new name; use forward slashes between folders.',
    });
  });

  it('counts the workspace folder’s own path against the file system’s limit', async () => {
    // Names of 200 bytes: the whole path is exactly 4,095 bytes, then one byte more.
    const fill = (bytes: number): string => {
      const names: string[] = [];
      let left = bytes;
      while (left > 201) {
        names.push('n'.repeat(200));
        left -= 201;
      }
      names.push('m'.repeat(left));
      return names.join('/');
    };
    const room = 4_095 - Buffer.byteLength(real) - 1;
    expect(await resolveInside(root.dir, fill(room))).toMatchObject({ ok: true });
    const over = fill(room + 1);
    expect(await resolveInside(root.dir, over)).toEqual({
      ok: false,
      code: 'PATH_TOO_LONG',
      reason: `Path ${JSON.stringify(over).slice(0, 60)}… is too long together with the workspace folder (the file system allows 4095 bytes); shorten it.`,
    });
  });
});
