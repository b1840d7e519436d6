import { git, gitOk, nulFields } from '../../../src/client/git.js';
import { tempDir } from '../../helpers/tmp.js';

// The client's git runner, with real git: its clean environment and its failures.

let root: ReturnType<typeof tempDir>;

beforeAll(() => {
  root = tempDir('atolye-client-git-');
});

afterAll(() => root?.cleanup());

describe('git', () => {
  it('reads no system, global or repository configuration, and passes the environment given', async () => {
    const result = await git(['config', '--show-origin', '--list'], { cwd: root.dir });
    // Only the command line's own setting: no system, global or repository configuration.
    expect(result.stdout.toString('utf8')).toBe('command line:\tcore.hookspath=/dev/null\n');
    const env = await git(['var', 'GIT_EDITOR'], { cwd: root.dir, env: { GIT_EDITOR: 'ed' } });
    expect(env.stdout.toString('utf8').trim()).toBe('ed');
  });

  it('feeds standard input and returns stdout as bytes', async () => {
    const result = await git(['hash-object', '--stdin'], {
      cwd: root.dir,
      input: Buffer.from('hello\n'),
    });
    expect(result.code).toBe(0);
    expect(result.stdout.toString('utf8').trim()).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('says how to install git when it is not on PATH', async () => {
    await expect(
      git(['version'], { cwd: root.dir, env: { PATH: root.dir } }),
    ).rejects.toMatchObject({
      code: 'GIT_MISSING',
      message: expect.stringContaining('apt-get install git'),
    });
  });

  it("gitOk turns a failure into GIT_FAILED with git's last words", async () => {
    await expect(
      gitOk(['rev-parse', '--verify', 'no-such-ref'], { cwd: root.dir }),
    ).rejects.toMatchObject({
      code: 'GIT_FAILED',
      message: expect.stringMatching(/^git rev-parse failed: fatal: not a git repository/),
    });
  });
});

describe('nulFields', () => {
  it('splits NUL-terminated output, names with newlines and tabs intact', () => {
    expect(nulFields(Buffer.from('a\nb\0c\td\0'))).toEqual(['a\nb', 'c\td']);
    expect(nulFields(Buffer.alloc(0))).toEqual([]);
  });
});
