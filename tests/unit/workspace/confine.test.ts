import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { isInside, threadWorkspacePath } from '../../../src/workspace/confine.js';

describe('isInside', () => {
  it.each([
    ['/ws/a', '/ws/a'],
    ['/ws/a', '/ws/a/'],
    ['/ws/a', '/ws/a/b'],
    ['/ws/a', '/ws/a/b/c.txt'],
    ['/ws/a', '/ws/a/b/../c'],
    // A name that starts with two dots is a name, not a way up.
    ['/ws/a', '/ws/a/..notes'],
    ['/ws/a/', '/ws/a/b'],
    ['ws/a', 'ws/a/b'],
  ])('%j holds %j', (root, candidate) => {
    expect(isInside(root, candidate)).toBe(true);
  });

  it.each([
    ['/ws/a', '/ws'],
    ['/ws/a', '/'],
    ['/ws/a', '/ws/a/..'],
    ['/ws/a', '/ws/a/../b'],
    ['/ws/a', '/ws/a/b/../../c'],
    // A sibling that shares the prefix is outside.
    ['/ws/a', '/ws/ab'],
    ['/ws/a', '/ws/a-b/c'],
    ['/ws/a', '/etc/passwd'],
    ['ws/a', 'ws/b'],
  ])('%j does not hold %j', (root, candidate) => {
    expect(isInside(root, candidate)).toBe(false);
  });
});

describe('threadWorkspacePath', () => {
  it("is the thread's folder directly under the root", () => {
    expect(threadWorkspacePath('/ws', 'thread-1')).toBe(path.join('/ws', 'thread-1'));
    const id = randomUUID();
    const folder = threadWorkspacePath('/srv/workspaces', id);
    expect(path.dirname(folder)).toBe('/srv/workspaces');
    expect(isInside('/srv/workspaces', folder)).toBe(true);
  });

  it.each(['..', '.', '', 'a/../b', '../ws-other', 'a/b', '.atolye-git', 'a..b'])(
    'refuses the id %j',
    (id) => {
      expect(() => threadWorkspacePath('/ws', id)).toThrow(
        expect.objectContaining({
          code: 'INVALID_REQUEST',
          message: expect.stringMatching(/is not a thread id/),
        }),
      );
    },
  );
});
