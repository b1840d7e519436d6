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
    ['', 'path_empty'],
    ['   ', 'path_empty'],
    ['/etc/passwd', 'path_absolute'],
    ['C:/Windows', 'path_absolute'],
    ['..', 'path_outside_workspace'],
    ['../secret.txt', 'path_outside_workspace'],
    ['a/../../x', 'path_outside_workspace'],
    ['a/b/../../../x', 'path_outside_workspace'],
    ['src/../../../etc/passwd', 'path_outside_workspace'],
    ['a\0b', 'path_nul_byte'],
    ['a%00b', 'path_nul_byte'],
    ['x'.repeat(256), 'path_too_long'],
    ['é'.repeat(128), 'path_too_long'],
    [`src/${'y'.repeat(300)}/a.ts`, 'path_too_long'],
    [`${'a/'.repeat(2_048)}b`, 'path_too_long'],
    ['%2e%2e/secret.txt', 'path_outside_workspace'],
    ['%2e%2e%2fsecret.txt', 'path_outside_workspace'],
    ['..%2fsecret.txt', 'path_outside_workspace'],
    ['%2E%2E%2F%2E%2E%2Fetc', 'path_outside_workspace'],
    ['%2fetc%2fpasswd', 'path_absolute'],
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
