import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../../helpers/tmp.js';

// The system check as a new user meets it: `npm test`'s pretest (bin/check-system.js), and the
// local deploy and the demo, each run in a process of its own on a PATH that holds only `node`.
// Chromium and the Postgres server are found at absolute paths, so on this machine (which has
// every package, as the rest of the suite needs) they count as installed. Nothing is installed:
// the environment carries no CI.

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CHECK = path.join(REPO, 'bin/check-system.js');
const RUN_TS = path.join(REPO, 'bin/run-ts.js');
const CLI = path.join(REPO, 'tests/integration/cli/cli-from-source.ts');
const SUDO = process.getuid?.() === 0 ? '' : 'sudo ';
const run = promisify(execFile);

let work: ReturnType<typeof tempDir>;
let nodeOnly: string;

beforeAll(() => {
  work = tempDir('atolye-system-check-');
  const empty = path.join(work.dir, 'empty');
  const nodeDir = path.join(work.dir, 'node');
  mkdirSync(empty);
  mkdirSync(nodeDir);
  symlinkSync(process.execPath, path.join(nodeDir, 'node'));
  nodeOnly = `${empty}${path.delimiter}${nodeDir}`;
});
afterAll(() => work.cleanup());

async function node(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, args, { cwd: REPO, env, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    ({ code, stdout, stderr }: { code: number; stdout: string; stderr: string }) => ({
      code,
      stdout,
      stderr,
    }),
  );
}

describe('before npm test', () => {
  it('stops with one message naming what is missing and the apt-get line that installs it', async () => {
    const result = await node([CHECK], { PATH: nodeOnly });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      '`npm test` needs Debian packages that are not installed: git, bubblewrap (bwrap), python3, ' +
        'ripgrep (rg), prometheus (prometheus, promtool), prometheus-alertmanager (amtool). ' +
        'Install them with:\n' +
        `  ${SUDO}apt-get install -y --no-install-recommends git bubblewrap python3 ripgrep prometheus prometheus-alertmanager\n` +
        '(ATOLYE_SKIP_SYSTEM_CHECK=1 skips this check.)\n',
    );
  });

  it('passes silently when everything is installed', async () => {
    const result = await node([CHECK], { PATH: process.env.PATH });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('is skipped with ATOLYE_SKIP_SYSTEM_CHECK=1', async () => {
    const result = await node([CHECK], { PATH: nodeOnly, ATOLYE_SKIP_SYSTEM_CHECK: '1' });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('is what npm test runs first', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.pretest).toBe('node bin/check-system.js');
  });
});

describe('before the local deploy and the demo', () => {
  const env = (more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    PATH: nodeOnly,
    ATOLYE_ENV: 'testing',
    ...more,
  });
  const lacking = (what: string, named: string, packages: string): string =>
    `atolye: ${what} needs Debian packages that are not installed: ${named}. Install them with:\n` +
    `  ${SUDO}apt-get install -y --no-install-recommends ${packages}\n` +
    '(ATOLYE_SKIP_SYSTEM_CHECK=1 skips this check.)\n';

  it('deploy asks for git and bubblewrap, and only git with the sandbox off', async () => {
    const deploy = await node([RUN_TS, CLI, 'deploy', '--no-typecheck'], env());
    expect(deploy).toEqual({
      code: 1,
      stdout: '',
      stderr: lacking('the local deploy', 'git, bubblewrap (bwrap)', 'git bubblewrap'),
    });
    const unsandboxed = await node(
      [RUN_TS, CLI, 'deploy', '--no-typecheck'],
      env({ ATOLYE_SANDBOX_MODE: 'none' }),
    );
    expect(unsandboxed).toEqual({
      code: 1,
      stdout: '',
      stderr: lacking('the local deploy', 'git', 'git'),
    });
  });

  it('the demo asks for python3 too, before it starts anything', async () => {
    const dir = path.join(work.dir, 'demo');
    const demo = await node([RUN_TS, CLI, 'demo', '--dir', dir, '--no-typecheck'], env());
    expect(demo).toEqual({
      code: 1,
      stdout: '',
      stderr: lacking('the demo', 'git, bubblewrap (bwrap), python3', 'git bubblewrap python3'),
    });
  });
});
