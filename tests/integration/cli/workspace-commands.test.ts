import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { commitAll, fingerprint, runGit, treeContent } from '../client/folder-fixtures.js';
import { build, deployOk, hostConfig } from '../deploy/helpers.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';
import { cliAgainst, threadOf, type CliResult } from '../../helpers/cli.js';

// `atolye run --dir | --repo`, `atolye diff` and `atolye apply` against a real orchestrator in
// front of a real worker host running the scripted steps and the real `checkout` function; the
// TTY and current-folder cases run the real `atolye` executable in a child process.

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const STEP_FIXTURES = path.join(REPO, 'tests/integration/orchestrator/fixtures/functions');
const CHECKOUT_FIXTURE = path.join(REPO, 'tests/integration/workspace/fixtures/functions/checkout');
const run = promisify(execFile);
const PROJECT = {
  '.gitignore': '*.log\n',
  'src/calc.py': 'def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n',
  'src/old.py': 'print("old")\n',
  'README.md': '# calc\n',
  'debug.log': 'ignored',
  'node_modules/dep/index.js': 'never sent',
  '.env': 'API_KEY=local-secret\n',
};
/** What `run --dir` sends of PROJECT: all but the log, node_modules and .env. */
const SENT_BYTES = ['.gitignore', 'src/calc.py', 'src/old.py', 'README.md']
  .map((name) => Buffer.byteLength(PROJECT[name as keyof typeof PROJECT]))
  .reduce((a, b) => a + b);

let root: ReturnType<typeof tempDir>;
let host: RunningHost;
let hostLogging: Logging;
let api: TestApi;
/** The user's project, as they have it on their machine. */
let project: string;
let count = 0;

beforeAll(async () => {
  root = tempDir('atolye-workspace-cli-');
  // The scripted steps and the real checkout function, deployed together to one host.
  const functions = path.join(root.dir, 'functions');
  mkdirSync(functions);
  const entries = {
    ...Object.fromEntries(
      ['plan', 'act', 'tools', 'review', 'finalize'].map((step) => [
        step,
        path.join(STEP_FIXTURES, step, 'index'),
      ]),
    ),
    checkout: path.join(CHECKOUT_FIXTURE, 'index'),
  };
  // ESM like the repository's own functions/ (the nearest package.json decides).
  writeFiles(functions, { 'package.json': { type: 'module' } });
  for (const [name, entry] of Object.entries(entries)) {
    writeFiles(functions, { [`${name}/index.ts`]: `export { default } from '${entry}';\n` });
  }
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  const config = hostConfig(path.join(root.dir, 'host-data'), path.join(root.dir, 'host-logs'), {
    'workspace.root': path.join(root.dir, 'api', 'workspaces'),
  });
  hostLogging = createLogging(config, { service: 'host' });
  host = await startHost(config, {
    port: 0,
    logging: hostLogging,
    env: { ...process.env, ORCH_FIXTURE_DIR: fixtureDir },
  });
  await deployOk(
    { url: host.address.url, config },
    await build(functions, path.join(root.dir, 'dist')),
  );
  api = await startTestApi(path.join(root.dir, 'api'), {
    host,
    config,
    url: host.address.url,
    stop: async () => undefined,
  });

  project = path.join(root.dir, 'project');
  writeFiles(project, PROJECT);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await host?.close();
  await hostLogging?.close();
  root?.cleanup();
});

const atolye = (...args: string[]): Promise<CliResult> => cliAgainst(api.url, api.key, args);

function copyOfProject(): string {
  count += 1;
  const copy = path.join(root.dir, `copy-${count}`);
  cpSync(project, copy, { recursive: true });
  return copy;
}

/** The agent's work, done straight in the thread's workspace (the scripted tools write nothing). */
function changeWorkspace(threadId: string): void {
  const workspace = path.join(api.workspaceRoot, threadId);
  writeFileSync(
    path.join(workspace, 'src/calc.py'),
    PROJECT['src/calc.py'].replace('a - b', 'a + b'),
  );
  rmSync(path.join(workspace, 'README.md'));
  renameSync(path.join(workspace, 'src/old.py'), path.join(workspace, 'src/legacy.py'));
  writeFiles(workspace, { 'tests/test_calc.py': 'from calc import add\nassert add(1, 2) == 3\n' });
  writeFileSync(path.join(workspace, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
}

/** The real executable in a child process, with an environment of its own. */
async function atolyeProcess(
  args: string[],
  options: { cwd?: string; tty?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = [
    path.join(REPO, 'bin/atolye.js'),
    '--set',
    `api.url=${api.url}`,
    '--set',
    `api.key=${api.key}`,
    ...args,
  ];
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: root.dir,
    ATOLYE_ENV: 'testing',
    ATOLYE_DATA_DIR: path.join(root.dir, 'cli-data'),
    ...options.env,
  };
  const [file, fileArgs] = options.tty
    ? // `script` gives the command a pseudo-terminal, as a person's shell would.
      ['script', ['-qec', [process.execPath, ...argv].map(shellQuote).join(' '), '/dev/null']]
    : [process.execPath, argv];
  try {
    const { stdout, stderr } = await run(file, fileArgs as string[], {
      cwd: options.cwd ?? REPO,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

describe('atolye run --dir', () => {
  it('sends the folder less ignored files and secrets, says so, then runs the task on it', async () => {
    const result = await atolye('run', 'fix the calculator', '--dir', project);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^thread \S+$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^sent 4 files \\(${SENT_BYTES} B, \\d+ B compressed\\) from ${project}; skipped 1; baseline [0-9a-f]{12}$`,
      ),
    );
    expect(lines[2]).toBe('  .env: may hold secrets; send it with --include ".env"');
    expect(lines[3]).toMatch(/^run \S+$/);
    expect(result.stdout).toMatch(/^run \S+ success in /m);

    const threadId = threadOf(result.stdout);
    expect(lines.at(-1)).toBe(
      `review: npx atolye diff ${threadId} · take back: npx atolye apply ${threadId} --dir ${project}`,
    );
    const files = await atolye('files', threadId, '--json');
    const paths = (JSON.parse(files.stdout) as { path: string; type: string }[])
      .filter((entry) => entry.type === 'file')
      .map((entry) => entry.path);
    expect(paths).toEqual(['.gitignore', 'README.md', 'src/calc.py', 'src/old.py']);
  });

  it('sends a .env file named with --include, relative to where the command runs', async () => {
    const result = await atolye(
      'run',
      'with secrets',
      '--dir',
      project,
      '--include',
      path.join(project, '.env'),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^sent 5 files .*; skipped 0; /m);
    const threadId = threadOf(result.stdout);
    expect((await atolye('files', threadId, '.env')).stdout).toBe('API_KEY=local-secret\n');
  });

  it('--json reports the import with what was sent and skipped', async () => {
    const result = await atolye('run', 'json import', '--dir', project, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'success',
      import: {
        source: { type: 'archive', format: 'tar.gz' },
        files: 4,
        baseline: expect.stringMatching(/^[0-9a-f]{40}$/),
        sent: { files: 4, bytes: SENT_BYTES, skipped: [{ path: '.env', reason: 'secret' }] },
      },
    });
  });

  it('refuses --dir or --repo with --thread, and options that need another', async () => {
    const usage = async (...args: string[]) => {
      const result = await atolye('run', 'task', ...args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      return result.stderr;
    };
    expect(await usage('--dir', project, '--thread', 'abc')).toBe(
      'atolye: thread abc has its workspace already: --dir and --repo start a new thread, so leave out --thread',
    );
    expect(await usage('--repo', 'https://example.com/x.git', '--thread', 'abc')).toContain(
      'leave out --thread',
    );
    expect(await usage('--dir', project, '--repo', 'https://example.com/x.git')).toBe(
      'atolye: --dir and --repo both name the code to start from: choose one',
    );
    expect(await usage('--ref', 'main')).toBe('atolye: --ref goes with --repo URL');
    expect(await usage('--include', '.env')).toBe(
      'atolye: --include adds a file of the folder that --dir sends: give --dir too',
    );
    expect(await usage('--dir', project, '--include', '/etc/passwd')).toBe(
      `atolye: --include /etc/passwd is not a file inside ${project}`,
    );
  });

  it('creates no thread when the folder cannot be sent', async () => {
    const before = await atolye('runs', '--json');
    const missing = await atolye('run', 'nothing', '--dir', path.join(root.dir, 'no-such-folder'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `atolye: there is no folder ${path.join(root.dir, 'no-such-folder')}`,
    );
    const include = await atolye(
      'run',
      'nothing',
      '--dir',
      project,
      '--include',
      path.join(project, 'nope.env'),
    );
    expect(include.code).toBe(1);
    expect(include.stderr).toBe(
      'atolye: cannot include "nope.env": it does not exist in the folder',
    );
    expect((await atolye('runs', '--json')).stdout).toBe(before.stdout);
  });

  it('sends the current folder when --dir has no value (the real executable)', async () => {
    const folder = copyOfProject();
    const result = await atolyeProcess(['run', 'from here', '--dir'], { cwd: folder });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^sent 4 files .* from ${folder}; skipped 1; `, 'm'));
  }, 60_000);
});

describe('atolye run --repo', () => {
  it('starts the thread from a clone at the ref asked for', async () => {
    const origin = path.join(root.dir, 'origin');
    mkdirSync(origin);
    runGit(origin, 'init', '-q', '-b', 'main');
    writeFiles(origin, { 'lib.py': 'x = 1\n' });
    commitAll(origin, 'one');
    runGit(origin, 'branch', 'stable');
    writeFiles(origin, { 'lib.py': 'x = 2\n', 'new.py': 'y = 3\n' });
    const head = commitAll(origin, 'two');

    const result = await atolye('run', 'from git', '--repo', `file://${origin}`, '--ref', 'stable');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^imported 1 file \\(6 B\\) from file://${origin} at stable; baseline [0-9a-f]{12}$`,
        'm',
      ),
    );
    const threadId = threadOf(result.stdout);
    expect((await atolye('files', threadId, 'lib.py')).stdout).toBe('x = 1\n');

    const latest = await atolye('run', 'from git', '--repo', `file://${origin}`, '--json');
    expect(JSON.parse(latest.stdout)).toMatchObject({
      import: { source: { type: 'git' }, files: 2, baseline: head },
    });
  });

  it("relays the server's refusal of a ref that does not exist", async () => {
    const result = await atolye(
      'run',
      'x',
      '--repo',
      `file://${path.join(root.dir, 'origin')}`,
      '--ref',
      'no-such-ref',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^atolye: .*no-such-ref/);
    expect(result.stderr.split('\n')).toHaveLength(1);
  });
});

describe('atolye diff', () => {
  let threadId: string;
  let runId: string;

  beforeAll(async () => {
    const result = await atolye('run', 'make a diff', '--dir', project);
    threadId = threadOf(result.stdout);
    runId = /^run (\S+)$/m.exec(result.stdout)?.[1] ?? '';
  });

  it('says so when nothing changed', async () => {
    expect((await atolye('diff', threadId)).stdout).toBe(`no changes in thread ${threadId}`);
    expect((await atolye('diff', threadId, '--run', runId)).stdout).toBe(
      `no changes in run ${runId}`,
    );
  });

  it('prints the unified diff, plain when not at a terminal', async () => {
    changeWorkspace(threadId);
    const result = await atolye('diff', threadId);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('diff --git a/src/calc.py b/src/calc.py');
    expect(result.stdout).toContain('-    return a - b\n+    return a + b');
    expect(result.stdout).toContain('deleted file mode 100644');
    expect(result.stdout).toContain('rename from src/old.py\nrename to src/legacy.py');
    expect(result.stdout).toContain('+++ b/tests/test_calc.py');
    expect(result.stdout).toMatch(/Binary files \/dev\/null and b\/logo.png differ/);
    expect(result.stdout).not.toContain('\x1b[');

    const piped = await atolyeProcess(['diff', threadId]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(result.stdout);
  }, 60_000);

  it('colours the diff on a terminal, unless NO_COLOR is set', async () => {
    const tty = await atolyeProcess(['diff', threadId], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toContain('\x1b[1mdiff --git a/src/calc.py b/src/calc.py\x1b[0m');
    expect(tty.stdout).toContain('\x1b[31m-    return a - b\x1b[0m');
    expect(tty.stdout).toContain('\x1b[32m+    return a + b\x1b[0m');
    expect(tty.stdout).toContain('\x1b[36m@@ -1,5 +1,5 @@\x1b[0m');

    const noColour = await atolyeProcess(['diff', threadId], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColour.stdout).toContain('+    return a + b');
    expect(noColour.stdout).not.toContain('\x1b[');
  }, 60_000);
});

describe('atolye apply', () => {
  let threadId: string;

  beforeAll(async () => {
    threadId = threadOf((await atolye('run', 'make changes', '--dir', project)).stdout);
    changeWorkspace(threadId);
  });

  it("takes the thread's changes into a copy of the folder and lists them", async () => {
    const copy = copyOfProject();
    const result = await atolye('apply', threadId, '--dir', copy);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      `applied 5 changes from thread ${threadId} to ${copy}:`,
      '  deleted   README.md',
      '  added     logo.png',
      '  modified  src/calc.py',
      '  renamed   src/old.py → src/legacy.py',
      '  added     tests/test_calc.py',
    ]);
    const workspace = treeContent(path.join(api.workspaceRoot, threadId));
    const local = treeContent(copy);
    // The folder now matches the workspace, plus what was never sent.
    expect(local).toEqual({
      ...workspace,
      '.env': expect.any(String),
      'debug.log': expect.any(String),
      node_modules: 'dir',
      'node_modules/dep': 'dir',
      'node_modules/dep/index.js': expect.any(String),
    });
    expect(readFileSync(path.join(copy, '.env'), 'utf8')).toBe('API_KEY=local-secret\n');
  });

  it('applies to the current folder by default (the real executable)', async () => {
    const copy = copyOfProject();
    const result = await atolyeProcess(['apply', threadId], { cwd: copy });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`applied 5 changes from thread ${threadId} to ${copy}:`);
    expect(readFileSync(path.join(copy, 'src/calc.py'), 'utf8')).toContain('a + b');
  }, 60_000);

  it('refuses on a conflict, naming the file, exit 1, and leaves the folder untouched', async () => {
    const copy = copyOfProject();
    writeFileSync(path.join(copy, 'src/calc.py'), 'def add(a, b):\n    return b - a\n');
    const before = fingerprint(copy);
    const result = await atolye('apply', threadId, '--dir', copy);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `atolye: the changes do not apply to ${copy}: 1 file conflicts; nothing was changed\n` +
        '  src/calc.py: the file differs from the version the thread started from, and git has no common version to merge from',
    );
    expect(fingerprint(copy)).toEqual(before);
  });

  it('merges three-way in a git repository holding the files the thread started from', async () => {
    const copy = copyOfProject();
    runGit(copy, 'init', '-q');
    commitAll(copy, 'what was uploaded');
    // An edit two lines below the changed one: it breaks the hunk's context, so only a three-way
    // merge, with the committed blob as the common version, can take the change in.
    const edited = PROJECT['src/calc.py'].replace('\n\n\ndef mul', '\n\n# more below\ndef mul');
    writeFileSync(path.join(copy, 'src/calc.py'), edited);
    const result = await atolye('apply', threadId, '--dir', copy);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(copy, 'src/calc.py'), 'utf8')).toBe(
      edited.replace('a - b', 'a + b'),
    );
    // Without the repository the same edit is a conflict.
    const plain = copyOfProject();
    writeFileSync(path.join(plain, 'src/calc.py'), edited);
    expect((await atolye('apply', threadId, '--dir', plain)).code).toBe(1);
  });

  it('says so when the thread changed nothing', async () => {
    const fresh = threadOf((await atolye('run', 'no changes', '--dir', project)).stdout);
    const copy = copyOfProject();
    const before = fingerprint(copy);
    const result = await atolye('apply', fresh, '--dir', copy);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`thread ${fresh} has no changes to apply`);
    expect(fingerprint(copy)).toEqual(before);
  });
});

describe('failures are one clear line', () => {
  it('an unknown thread, a wrong key, an API that does not answer', async () => {
    const diff = await atolye('diff', 'no-such-thread');
    expect(diff.code).toBe(1);
    expect(diff.stderr).toBe('atolye: no thread no-such-thread; create it with POST /threads');
    const apply = await atolye('apply', 'no-such-thread', '--dir', project);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toBe('atolye: no thread no-such-thread; create it with POST /threads');

    const wrongKey = await cliAgainst(api.url, 'atk_wrong', ['diff', 'x']);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('the API key is unknown or revoked');

    const url = `http://127.0.0.1:${await closedPort()}`;
    const down = await cliAgainst(url, 'atk_any', ['apply', 'x']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`atolye: the run API at ${url} does not answer`);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
