import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baselineOf, diff, gitWorkspace } from '../../../src/workspace/git.js';
import { cloneInto, pushBranch, shownUrl } from '../../../src/workspace/remote.js';
import { startGitHttp, type GitHttpServer } from '../../helpers/git-http.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

const gitEnv = { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    env: gitEnv,
  })
    .toString('utf8')
    .trim();

const TOKEN = 'tok-123-secret';
const open = {
  token: '',
  allowedSchemes: 'https,http,file',
  allowHosts: '127.0.0.1',
  tokenHosts: '127.0.0.1',
  timeoutMs: 30_000,
};

/** A bare repository `origin.git` under `root` with two commits on main and a tag v1 on the first. */
function makeOrigin(root: string): string {
  const work = path.join(root, 'origin-work');
  mkdirSync(work, { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  writeFiles(work, {
    'calc.py': 'def add(a, b):\n    return a - b\n',
    '.gitignore': 'secret.txt\n',
  });
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'first');
  git(work, 'tag', 'v1');
  writeFiles(work, { 'README.md': '# calc\n' });
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'second');
  const bare = path.join(root, 'repos', 'origin.git');
  mkdirSync(path.dirname(bare), { recursive: true });
  git(root, 'clone', '-q', '--bare', work, bare);
  git(bare, 'config', 'http.receivepack', 'true');
  return bare;
}

describe('clone into a thread and push its changes back', () => {
  let tmp: ReturnType<typeof tempDir>;
  let bare: string;
  beforeEach(() => {
    tmp = tempDir();
    bare = makeOrigin(tmp.dir);
  });
  afterEach(() => tmp.cleanup());

  it('clones a file:// repository at its default branch and makes it the baseline', async () => {
    const ws = gitWorkspace(path.join(tmp.dir, 'ws'), 't1');
    const out = await cloneInto(ws, { url: `file://${bare}` }, open);
    expect(out.ref).toBe('HEAD');
    expect(out.commit).toBe(git(bare, 'rev-parse', 'main'));
    expect(out.files).toBe(3);
    expect(readFileSync(path.join(ws.workTree, 'README.md'), 'utf8')).toBe('# calc\n');
    expect(await baselineOf(ws)).toBe(out.commit);
    expect(existsSync(path.join(ws.workTree, '.git'))).toBe(false);
    expect((await diff(ws)).length).toBe(0);
  });

  it('checks out a tag or a commit', async () => {
    const ws = gitWorkspace(path.join(tmp.dir, 'ws'), 't2');
    const out = await cloneInto(ws, { url: `file://${bare}`, ref: 'v1' }, open);
    expect(out.commit).toBe(git(bare, 'rev-parse', 'v1^{commit}'));
    expect(existsSync(path.join(ws.workTree, 'README.md'))).toBe(false);
  });

  it('refuses a scheme that is not allowed, a missing ref and a missing repository, leaving nothing', async () => {
    const ws = gitWorkspace(path.join(tmp.dir, 'ws'), 't3');
    await expect(
      cloneInto(ws, { url: `file://${bare}` }, { ...open, allowedSchemes: 'https' }),
    ).rejects.toMatchObject({
      code: 'GIT_URL_REFUSED',
      message: expect.stringContaining('https://'),
    });
    await expect(cloneInto(ws, { url: `file://${bare}`, ref: 'nope' }, open)).rejects.toMatchObject(
      {
        code: 'GIT_REF_NOT_FOUND',
      },
    );
    await expect(
      cloneInto(ws, { url: `file://${tmp.dir}/missing.git` }, open),
    ).rejects.toMatchObject({ code: 'GIT_CLONE_FAILED' });
    expect(readdirSync(ws.workTree)).toEqual([]);
    expect(readdirSync(path.dirname(ws.gitDir))).toEqual([]);
  });

  describe('over http with a token', () => {
    let server: GitHttpServer;
    beforeEach(async () => {
      server = await startGitHttp(path.join(tmp.dir, 'repos'), TOKEN);
    });
    afterEach(() => server.close());

    it('clones with the token, keeps it out of the repository, and names the URL without credentials', async () => {
      const ws = gitWorkspace(path.join(tmp.dir, 'ws'), 't4');
      await expect(
        cloneInto(ws, { url: `http://user:wrong@127.0.0.1:1/origin.git` }, open),
      ).rejects.toMatchObject({ message: expect.not.stringContaining('wrong') });
      await expect(
        cloneInto(ws, { url: `${server.url}/origin.git` }, { ...open, token: 'bad' }),
      ).rejects.toMatchObject({ code: 'GIT_AUTH_FAILED' });
      const out = await cloneInto(
        ws,
        { url: `${server.url}/origin.git` },
        { ...open, token: TOKEN },
      );
      expect(out.url).toBe(`${server.url}/origin.git`);
      expect(readFileSync(path.join(ws.gitDir, 'config'), 'utf8')).not.toContain(TOKEN);
      expect(server.authorizations.some((auth) => auth.startsWith('Basic '))).toBe(true);

      writeFileSync(path.join(ws.workTree, 'calc.py'), 'def add(a, b):\n    return a + b\n');
      const pushed = await pushBranch(
        ws,
        { branch: 'atolye/fix-add', message: 'Fix add' },
        { ...open, token: TOKEN },
      );
      expect(git(bare, 'rev-parse', 'refs/heads/atolye/fix-add')).toBe(pushed.commit);
      expect(git(bare, 'show', 'atolye/fix-add:calc.py')).toContain('return a + b');
      expect(git(bare, 'log', '-1', '--format=%s', 'atolye/fix-add')).toBe('Fix add');
      expect(git(bare, 'rev-parse', 'main')).toBe(out.commit);

      await expect(
        pushBranch(ws, { branch: 'atolye/fix-add', message: 'again' }, { ...open, token: TOKEN }),
      ).rejects.toMatchObject({ code: 'GIT_BRANCH_EXISTS' });
      await expect(
        pushBranch(ws, { branch: '-bad..name', message: 'x' }, { ...open, token: TOKEN }),
      ).rejects.toMatchObject({ code: 'GIT_BRANCH_INVALID' });
    });
  });

  it('keeps clones out of the private network and the token away from hosts it is not for', async () => {
    const server = await startGitHttp(path.join(tmp.dir, 'repos'), TOKEN);
    try {
      const ws = gitWorkspace(path.join(tmp.dir, 'ws'), 't7');
      const closed = { ...open, token: TOKEN, allowHosts: '' };
      await expect(
        cloneInto(ws, { url: `${server.url}/origin.git` }, closed),
      ).rejects.toMatchObject({
        code: 'GIT_URL_REFUSED',
        message: expect.stringContaining('127.0.0.1, a loopback address'),
      });
      // A name that resolves to a private address is refused the same way.
      const resolve = async (): Promise<string[]> => ['10.1.2.3'];
      await expect(
        cloneInto(ws, { url: 'https://git.example.com/r.git' }, { ...closed, resolve }),
      ).rejects.toMatchObject({
        code: 'GIT_URL_REFUSED',
        message: expect.stringContaining('10.1.2.3'),
      });
      expect(server.authorizations).toEqual([]);

      // Reachable, but not a token host: the token is not sent, and the clone is refused.
      await expect(
        cloneInto(
          ws,
          { url: `${server.url}/origin.git` },
          { ...open, token: TOKEN, tokenHosts: 'github.com' },
        ),
      ).rejects.toMatchObject({ code: 'GIT_AUTH_FAILED' });
      expect(server.authorizations.join('\n')).not.toContain(
        Buffer.from(`x-access-token:${TOKEN}`).toString('base64'),
      );
      expect(readdirSync(ws.workTree)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('has nowhere to push for a thread that was not cloned, and nothing to push without changes', async () => {
    const plain = gitWorkspace(path.join(tmp.dir, 'ws'), 't5');
    await expect(pushBranch(plain, { branch: 'b', message: 'm' }, open)).rejects.toMatchObject({
      code: 'GIT_NO_ORIGIN',
    });
    const cloned = gitWorkspace(path.join(tmp.dir, 'ws'), 't6');
    await cloneInto(cloned, { url: `file://${bare}` }, open);
    await expect(pushBranch(cloned, { branch: 'b', message: 'm' }, open)).rejects.toMatchObject({
      code: 'NOTHING_TO_PUSH',
    });
  });

  it('shows URLs without credentials', () => {
    expect(shownUrl('https://me:s3cret@example.com/r.git')).toBe('https://example.com/r.git');
    expect(shownUrl('not a url://me:pw@x')).not.toContain('pw');
  });
});
