import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create as createTar } from 'tar';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { build, deployOk, hostConfig } from '../deploy/helpers.js';
import { startTestApi, type TestApi } from './api-helpers.js';

// Import into a thread (an archive, a git clone through the real `checkout` function), the diff
// and patch against the baseline, one run's diff, and the refusals, over plain HTTP.

const CHECKOUT_ONLY = fileURLToPath(new URL('../workspace/fixtures/functions', import.meta.url));
const gitEnv = { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, env: gitEnv })
    .toString('utf8')
    .trim();

let root: ReturnType<typeof tempDir>;
let host: RunningHost;
let hostLogging: Logging;
let api: TestApi;

beforeAll(async () => {
  root = tempDir('atolye-api-workspace-');
  const workspaceRoot = path.join(root.dir, 'main', 'workspaces');
  const config = hostConfig(path.join(root.dir, 'host-data'), path.join(root.dir, 'host-logs'), {
    'workspace.root': workspaceRoot,
  });
  hostLogging = createLogging(config, { service: 'host' });
  host = await startHost(config, { port: 0, logging: hostLogging });
  await deployOk(
    { url: host.address.url, config },
    await build(CHECKOUT_ONLY, path.join(root.dir, 'dist')),
  );
  api = await startTestApi(path.join(root.dir, 'main'), {
    host,
    config,
    url: host.address.url,
    stop: async () => undefined,
  });
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await host?.close();
  await hostLogging?.close();
  root?.cleanup();
});

async function request(route: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${api.url}${route}`, {
    ...init,
    headers: { 'x-api-key': api.key, ...(init.headers as Record<string, string> | undefined) },
  });
}

async function newThread(): Promise<string> {
  const created = await request('/threads', { method: 'POST' });
  return ((await created.json()) as { thread_id: string }).thread_id;
}

async function tarGz(dir: string): Promise<Blob> {
  const chunks: Buffer[] = [];
  const stream = createTar({ cwd: dir, gzip: true, portable: true }, readdirSync(dir));
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return new Blob([Buffer.concat(chunks)]);
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

test('an imported folder is the baseline: the diff and the patch show only later changes', async () => {
  const folder = path.join(root.dir, 'project');
  writeFiles(folder, {
    'calc.py': 'def add(a, b):\n    return a - b\n',
    'old name.txt': 'a line that is long enough to be recognised after a rename\n'.repeat(4),
    'gone.txt': 'bye\n',
  });
  writeFileSync(path.join(folder, 'icon.bin'), Buffer.from([0, 1, 2, 3]));
  const threadId = await newThread();
  const imported = await request(`/threads/${threadId}/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/gzip' },
    body: await tarGz(folder),
  });
  expect(imported.status).toBe(200);
  const result = (await imported.json()) as { files: number; baseline: string; source: unknown };
  expect(result.files).toBe(4);
  expect(result.source).toEqual({ type: 'archive', format: 'tar.gz' });
  expect(result.baseline).toMatch(/^[0-9a-f]{40}$/);

  const empty = await request(`/threads/${threadId}/diff`);
  expect(empty.status).toBe(200);
  expect(await empty.text()).toBe('');

  const workspace = path.join(api.workspaceRoot, threadId);
  writeFileSync(path.join(workspace, 'calc.py'), 'def add(a, b):\n    return a + b\n');
  execFileSync('mv', [path.join(workspace, 'old name.txt'), path.join(workspace, 'new name.txt')]);
  execFileSync('rm', [path.join(workspace, 'gone.txt')]);
  writeFileSync(path.join(workspace, 'icon.bin'), Buffer.from([0, 9, 9]));

  const diffed = await request(`/threads/${threadId}/diff`);
  expect(diffed.headers.get('content-type')).toBe('text/x-diff; charset=utf-8');
  const text = await diffed.text();
  expect(text).toContain('+    return a + b');
  expect(text).toContain('rename from old name.txt');
  expect(text).toContain('deleted file mode');
  expect(text).toContain('Binary files a/icon.bin and b/icon.bin differ');

  const patch = await request(`/threads/${threadId}/patch`);
  expect(patch.headers.get('content-disposition')).toContain(`${threadId}.patch`);
  const mail = await patch.text();
  expect(mail).toMatch(/^Subject: \[PATCH\] /m);
  expect(mail).toContain('GIT binary patch');
  // The user's copy takes it with git am, binary file included.
  git(folder, 'init', '-q');
  git(folder, 'add', '-A');
  git(folder, 'commit', '-qm', 'mine');
  writeFileSync(path.join(root.dir, 'changes.patch'), mail);
  git(folder, 'am', '-q', path.join(root.dir, 'changes.patch'));
  expect(readFileSync(path.join(folder, 'calc.py'), 'utf8')).toContain('a + b');
  expect(readFileSync(path.join(folder, 'icon.bin'))).toEqual(Buffer.from([0, 9, 9]));
  expect(existsSync(path.join(folder, 'gone.txt'))).toBe(false);

  // A second import into the same thread is refused; the workspace keeps its files.
  const again = await request(`/threads/${threadId}/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/gzip' },
    body: await tarGz(folder),
  });
  expect(again.status).toBe(409);
  expect((await errorOf(again)).code).toBe('WORKSPACE_NOT_EMPTY');
});

test('a file:// repository is cloned by the checkout function; a bad URL or ref is a clear 400', async () => {
  const work = path.join(root.dir, 'repo-work');
  mkdirSync(work, { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  writeFiles(work, { 'calc.py': 'def add(a, b):\n    return a - b\n' });
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'first');
  const threadId = await newThread();
  const cloned = await request(`/threads/${threadId}/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ git: { url: `file://${work}`, ref: 'main' } }),
  });
  expect(cloned.status).toBe(200);
  const result = (await cloned.json()) as {
    baseline: string;
    source: { type: string; ref: string };
  };
  expect(result.baseline).toBe(git(work, 'rev-parse', 'main'));
  expect(result.source).toMatchObject({ type: 'git', ref: 'main' });
  expect(readFileSync(path.join(api.workspaceRoot, threadId, 'calc.py'), 'utf8')).toContain(
    'a - b',
  );

  const other = await newThread();
  const badRef = await request(`/threads/${other}/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ git: { url: `file://${work}`, ref: 'no-such-branch' } }),
  });
  expect(badRef.status).toBe(400);
  expect(await errorOf(badRef)).toMatchObject({ code: 'GIT_REF_NOT_FOUND' });
  const badScheme = await request(`/threads/${other}/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ git: { url: 'ssh://git@example.com/r.git' } }),
  });
  expect(badScheme.status).toBe(400);
  expect((await errorOf(badScheme)).message).toContain('ssh://');
  const extra = await request(`/threads/${other}/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ git: { url: `file://${work}`, depth: 1 } }),
  });
  expect(extra.status).toBe(400);
  expect((await errorOf(extra)).message).toContain('depth');
  expect(readdirSync(path.join(api.workspaceRoot, other))).toEqual([]);
});

test('refusals: wrong content type, empty body, unknown thread, bad run id, a busy push target', async () => {
  const threadId = await newThread();
  const wrongType = await request(`/threads/${threadId}/import`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'hello',
  });
  expect(wrongType.status).toBe(415);
  expect((await errorOf(wrongType)).message).toContain('application/gzip');
  const emptyBody = await request(`/threads/${threadId}/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/gzip' },
    body: '',
  });
  expect(emptyBody.status).toBe(400);
  const unknown = await request(`/threads/00000000-0000-4000-8000-000000000000/diff`);
  expect(unknown.status).toBe(404);
  const badRun = await request(`/threads/${threadId}/diff?run_id=not-a-uuid`);
  expect(badRun.status).toBe(400);
  const noRun = await request(
    `/threads/${threadId}/diff?run_id=00000000-0000-4000-8000-000000000000`,
  );
  expect(noRun.status).toBe(404);
  const unexpected = await request(`/threads/${threadId}/diff?color=1`);
  expect(unexpected.status).toBe(400);
  const push = await request(`/threads/${threadId}/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ branch: 'atolye/x' }),
  });
  expect(push.status).toBe(409);
  expect((await errorOf(push)).code).toBe('GIT_NO_ORIGIN');
});
