import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { executeToolCall, type RunCommand } from '../../../src/agent/tools/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { startApi, startStandInHost, type Receiver, type SecurityApi } from './http-helpers.js';

// File names at the edges, through GET /threads/{id}/files/{path} and through the tools, with one
// rule for both: a file that exists in the workspace is reachable whatever its name (a newline
// or a backslash included, percent-encoded in a URL); a name the file system cannot hold is a 400
// (an observation for the model), never a 500; and the tools refuse to create a new name with a
// backslash or a control character, which is nearly always a mistake.

let work: ReturnType<typeof tempDir>;
let host: Receiver;
let api: SecurityApi;
let threadId: string;
let workspace: string;

const runCommand: RunCommand = async () => ({
  exitCode: 0,
  stdout: '',
  stderr: '',
  timedOut: false,
});

const ODD: Record<string, string> = {
  'line\nbreak.txt': 'newline\n',
  'back\\slash.txt': 'backslash\n',
  'win\\dir/inner.txt': 'inside a backslash folder\n',
  'tab\tand\rreturn.txt': 'controls\n',
  [`${'n'.repeat(255)}`]: 'longest name\n',
};

beforeAll(async () => {
  work = tempDir('atolye-http-files-');
  host = await startStandInHost();
  api = await startApi(path.join(work.dir, 'api'), host.url);
  const created = await fetch(`${api.url}/threads`, {
    method: 'POST',
    headers: { 'x-api-key': api.key },
  });
  threadId = ((await created.json()) as { thread_id: string }).thread_id;
  workspace = path.join(api.workspaceRoot, threadId);
  for (const [name, content] of Object.entries(ODD)) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), content);
  }
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await host?.close();
  work?.cleanup();
});

function fileUrl(name: string): string {
  return `${api.url}/threads/${threadId}/files/${name.split('/').map(encodeURIComponent).join('/')}`;
}

function get(name: string): Promise<Response> {
  return fetch(fileUrl(name), { headers: { 'x-api-key': api.key } });
}

function tool(name: string, args: Record<string, unknown>) {
  return executeToolCall({ id: name, name, args }, { workspace, runCommand });
}

describe('names with a newline or a backslash', () => {
  test.each(Object.keys(ODD))('%j is fetched through the API when it exists', async (name) => {
    const response = await get(name);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(ODD[name]);
  });

  test.each(Object.keys(ODD))('%j is read and rewritten by the tools', async (name) => {
    const read = await tool('read_file', { path: name });
    expect(read.observation).toMatchObject({ ok: true });
    expect(read.observation.content).toContain((ODD[name] ?? '').trim());
    const written = await tool('write_file', { path: name, content: 'again\n' });
    expect(written.observation).toMatchObject({ ok: true });
    expect(readFileSync(path.join(workspace, name), 'utf8')).toBe('again\n');
    writeFileSync(path.join(workspace, name), ODD[name] ?? '');
  });

  test.each<[string, string, RegExp]>([
    ['src\\main.py', 'PATH_BACKSLASH', /backslash in a new name; use forward slashes/],
    ['win\\dir\\new.txt', 'PATH_BACKSLASH', /backslash/],
    ['new\\dir/child.txt', 'PATH_BACKSLASH', /backslash/],
    ['new\nname.txt', 'PATH_CONTROL_CHARACTER', /control character/],
    ['dir\u0007/x.txt', 'PATH_CONTROL_CHARACTER', /control character/],
  ])('a new name %j is refused by write_file with %s', async (name, code, reason) => {
    const written = await tool('write_file', { path: name, content: 'x' });
    expect(written.observation).toMatchObject({ ok: false, code });
    expect(written.observation.content).toMatch(/^Refused: /);
    expect(written.observation.content).toMatch(reason);
    expect(existsSync(path.join(workspace, name))).toBe(false);
  });

  test('a new file in an existing folder whose name has a backslash is written', async () => {
    const written = await tool('write_file', { path: 'win\\dir/new.txt', content: 'new\n' });
    expect(written.observation).toMatchObject({ ok: true });
    expect(readFileSync(path.join(workspace, 'win\\dir', 'new.txt'), 'utf8')).toBe('new\n');
    expect(await (await get('win\\dir/new.txt')).text()).toBe('new\n');
  });

  test('a missing name with a backslash is refused by the API as a path, not a crash', async () => {
    const response = await get('no\\such.txt');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'PATH_REFUSED',
    );
  });
});

describe('names longer than the file system allows', () => {
  // 256 bytes in one name; 128 two-byte characters; 4,201 bytes of path; and a path under the
  // lexical limit that the workspace folder in front pushes past PATH_MAX (the kernel refuses it).
  const LONG: [string, string, RegExp][] = [
    ['a 256-byte name', 'x'.repeat(256), /longer than 255 bytes/],
    ['a name of 128 two-byte characters', 'é'.repeat(128), /longer than 255 bytes/],
    ['a 4,201-byte path', `${'a/'.repeat(2_100)}b`, /longer than 4095 bytes/],
    [
      'a path past PATH_MAX with the workspace',
      `${`${'d'.repeat(200)}/`.repeat(20)}${'f'.repeat(60)}`,
      /long/,
    ],
  ];

  test.each(LONG)('%s is a 400 from the files route', async (_what, name, reason) => {
    const response = await get(name);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('PATH_REFUSED');
    expect(error.message).toMatch(reason);
    expect(error.message).not.toContain(api.workspaceRoot);
  });

  test.each(LONG)('%s is an observation from the tools', async (_what, name, reason) => {
    for (const [call, args] of [
      ['write_file', { path: name, content: 'x' }],
      ['read_file', { path: name }],
      ['edit_file', { path: name, oldText: 'a', newText: 'b' }],
      ['delete_file', { path: name }],
    ] as const) {
      const result = await tool(call, args);
      expect([call, result.observation.ok]).toEqual([call, false]);
      expect(result.observation.content).toMatch(reason);
      expect(result.observation.content).not.toContain(workspace);
    }
  });
});
