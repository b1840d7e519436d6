import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from './api-helpers.js';
import { startStepHost, type StepHost } from './helpers.js';

// A thread's workspace over plain HTTP: the tree, one file, the archive, and the paths that must
// not leave the workspace. The files are written straight into the thread's workspace directory.

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
let threadId: string;

const FILES = {
  'main.py': 'print("merhaba")\n',
  'data/config.json': '{"debug": true}\n',
  'README.md': '# Atölye\n',
};

beforeAll(async () => {
  root = tempDir('atolye-api-files-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(path.join(root.dir, 'main'), stepHost);
  const created = await request('/threads', { method: 'POST' });
  threadId = ((await created.json()) as { thread_id: string }).thread_id;
  const workspace = path.join(api.workspaceRoot, threadId);
  mkdirSync(workspace, { recursive: true });
  writeFiles(workspace, FILES);
  symlinkSync('/etc/passwd', path.join(workspace, 'passwd-link'));
  symlinkSync('/etc', path.join(workspace, 'data', 'etc-link'));
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

async function request(route: string, init: RequestInit & { requestId?: string } = {}) {
  const { requestId = randomUUID(), ...rest } = init;
  return fetch(`${api.url}${route}`, {
    ...rest,
    headers: { 'x-request-id': requestId, 'x-api-key': api.key },
  });
}

async function errorCode(response: Response): Promise<string> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await response.json()) as { error: { code: string } }).error.code;
}

test('GET /threads/{id}/files lists the tree with sizes, leaving out links that lead outside', async () => {
  const response = await request(`/threads/${threadId}/files`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({
    thread_id: threadId,
    files: [
      { path: 'README.md', type: 'file', size: Buffer.byteLength(FILES['README.md']) },
      { path: 'data', type: 'directory', size: 0 },
      { path: 'data/config.json', type: 'file', size: FILES['data/config.json'].length },
      { path: 'main.py', type: 'file', size: FILES['main.py'].length },
    ],
  });
});

test('GET /threads/{id}/files/{path} answers the content with its type, sandboxed', async () => {
  const cases: [string, string, RegExp][] = [
    ['main.py', FILES['main.py'], /^text\/x-python; charset=utf-8$/],
    ['data/config.json', FILES['data/config.json'], /^application\/json; charset=utf-8$/],
    ['data%2Fconfig.json', FILES['data/config.json'], /^application\/json/],
    ['README.md', FILES['README.md'], /^text\/markdown; charset=utf-8$/],
  ];
  for (const [file, content, type] of cases) {
    const response = await request(`/threads/${threadId}/files/${file}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(type);
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(content)));
    expect(await response.text()).toBe(content);
  }
});

test('paths that leave the workspace are refused and leak nothing', async () => {
  const attempts = [
    '..%2F..%2Fetc%2Fpasswd',
    '..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
    '%2e%2e/x',
    '%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'data/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
    '%2Fetc%2Fpasswd',
    '..%5C..%5Cetc%5Cpasswd',
    'main.py%00.txt',
    'passwd-link',
    'data/etc-link/passwd',
  ];
  for (const attempt of attempts) {
    const response = await request(`/threads/${threadId}/files/${attempt}`);
    const body = await response.text();
    // The attempt rides along so a failure names it.
    expect([attempt, response.status >= 400 && response.status < 500]).toEqual([attempt, true]);
    expect(body).not.toContain('root:');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  }
  // A thread id that is a path is no thread.
  const sideways = await request(`/threads/..%2F..%2Fetc/files/passwd`);
  expect(sideways.status).toBeGreaterThanOrEqual(400);
  expect(sideways.status).toBeLessThan(500);
  expect(await sideways.text()).not.toContain('root:');
});

// A tester's report: a very long path was a 500 (the file system's ENAMETOOLONG).
test('a path too long for the file system is a 400 PATH_REFUSED naming the limit', async () => {
  const attempts: [string, RegExp][] = [
    ['x'.repeat(300), /longer than 255 bytes/],
    [`${'a'.repeat(200)}/`.repeat(30), /longer than 4095 bytes/],
    // Short enough alone, too long together with the folder the workspace lives in.
    [`${'b/'.repeat(2_040)}c`, /too long together with the workspace folder/],
    ['%C3%A9'.repeat(130), /longer than 255 bytes/],
  ];
  for (const [attempt, reason] of attempts) {
    const response = await request(`/threads/${threadId}/files/${attempt}`);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect([attempt.slice(0, 20), response.status, error.code]).toEqual([
      attempt.slice(0, 20),
      400,
      'PATH_REFUSED',
    ]);
    expect(error.message).toMatch(reason);
  }
});

test('a missing file is 404, a directory 400, an unknown thread 404', async () => {
  const missing = await request(`/threads/${threadId}/files/nope.txt`);
  expect([missing.status, await errorCode(missing)]).toEqual([404, 'FILE_NOT_FOUND']);
  const directory = await request(`/threads/${threadId}/files/data`);
  expect([directory.status, await errorCode(directory)]).toEqual([400, 'IS_DIRECTORY']);
  for (const route of ['files', 'files/main.py', 'archive']) {
    const unknown = await request(`/threads/${randomUUID()}/${route}`);
    expect([route, unknown.status, await errorCode(unknown)]).toEqual([
      route,
      404,
      'THREAD_NOT_FOUND',
    ]);
  }
});

test('GET /threads/{id}/archive is a tar.gz that tar lists with the workspace files', async () => {
  const response = await request(`/threads/${threadId}/archive`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/gzip');
  expect(response.headers.get('content-disposition')).toContain(`${threadId}.tar.gz`);
  const file = path.join(root.dir, 'workspace.tar.gz');
  writeFileSync(file, Buffer.from(await response.arrayBuffer()));
  const listed = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^\.\//, '').replace(/\/$/, ''))
    .sort();
  expect(listed).toEqual(['README.md', 'data', 'data/config.json', 'main.py']);

  const out = path.join(root.dir, 'extracted');
  mkdirSync(out);
  execFileSync('tar', ['-xzf', file, '-C', out]);
  expect(readFileSync(path.join(out, 'main.py'), 'utf8')).toBe(FILES['main.py']);
});

test('each files request writes one user_interactions line with the thread id', async () => {
  const requestId = randomUUID();
  expect((await request(`/threads/${threadId}/files/main.py`, { requestId })).status).toBe(200);
  const logFile = path.join(api.logDir, 'user_interactions.log');
  let lines: Record<string, unknown>[] = [];
  for (let i = 0; i < 100 && lines.length === 0; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    lines = (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.requestId === requestId);
  }
  expect(lines).toEqual([
    expect.objectContaining({
      method: 'GET',
      path: `/threads/${threadId}/files/main.py`,
      status: 200,
      durationMs: expect.any(Number),
      key: 'tests',
      threadId,
    }),
  ]);
  expect(readFileSync(logFile, 'utf8')).not.toContain(api.key);
});
