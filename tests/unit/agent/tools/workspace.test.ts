import { resolveInside, resolveLexically } from '../../../../src/agent/tools/index.js';

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
