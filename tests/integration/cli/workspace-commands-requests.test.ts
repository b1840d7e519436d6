import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { list } from 'tar';
import { colourDiff } from '../../../src/cli/diff-colours.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { fingerprint } from '../client/folder-fixtures.js';
import { json, startCannedApi, text, type CannedApi } from './canned-api.js';
import { cliAgainst, type CliResult } from '../../helpers/cli.js';

// `atolye run --dir | --repo`, `diff` and `apply` against a loopback server that answers what
// each test needs: the exact requests sent, refusals, replies the CLI must not trust.

let root: ReturnType<typeof tempDir>;
let api: CannedApi;
let project: string;

beforeAll(async () => {
  root = tempDir('atolye-workspace-requests-');
  project = path.join(root.dir, 'project');
  writeFiles(project, { 'main.py': 'print(1)\n', '.env': 'KEY=1\n' });
  api = await startCannedApi();
});

afterAll(async () => {
  await api?.close();
  root?.cleanup();
});

beforeEach(() => api.requests.splice(0));

const atolye = (...args: string[]): Promise<CliResult> => cliAgainst(api.url, 'test-key', args);

const apiError = (code: string, message: string) => ({ error: { code, message } });

describe('the import request', () => {
  it('uploads the archive as application/gzip with the key, and relays a 413', async () => {
    let upload: { type?: string; key?: string; body: Buffer } | undefined;
    api.handle((req, res) => {
      if (req.url === '/threads') return json(res, 200, { thread_id: 't-1', metadata: {} });
      upload = {
        type: req.headers['content-type'],
        key: req.headers['x-api-key'] as string,
        body: req.raw,
      };
      json(res, 413, apiError('IMPORT_TOO_LARGE', 'the archive is larger than 10 bytes'));
    });
    const result = await atolye('run', 'task', '--dir', project);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('atolye: the archive is larger than 10 bytes');
    expect(api.requests).toEqual(['POST /threads', 'POST /threads/t-1/import']);
    expect(upload?.type).toBe('application/gzip');
    expect(upload?.key).toBe('test-key');
    const file = path.join(root.dir, 'upload.tar.gz');
    writeFileSync(file, upload?.body ?? Buffer.alloc(0));
    const names: string[] = [];
    await list({ file, onReadEntry: (entry) => void names.push(entry.path) });
    expect(names).toEqual(['main.py']);
  });

  it('sends {"git": {url, ref}} as JSON for --repo, without ref when none is given', async () => {
    const bodies: unknown[] = [];
    api.handle((req, res) => {
      if (req.url === '/threads') return json(res, 200, { thread_id: 't-2', metadata: {} });
      bodies.push([req.headers['content-type'], JSON.parse(req.body)]);
      json(res, 400, apiError('GIT_REF_NOT_FOUND', 'no ref v9 in https://example.com/r.git'));
    });
    const withRef = await atolye('run', 'x', '--repo', 'https://example.com/r.git', '--ref', 'v9');
    expect(withRef.stderr).toBe('atolye: no ref v9 in https://example.com/r.git');
    await atolye('run', 'x', '--repo', 'https://example.com/r.git');
    expect(bodies).toEqual([
      ['application/json', { git: { url: 'https://example.com/r.git', ref: 'v9' } }],
      ['application/json', { git: { url: 'https://example.com/r.git' } }],
    ]);
  });

  it('an import reply it does not understand, and a dropped upload, are clear errors', async () => {
    api.handle((req, res) => {
      if (req.url === '/threads') return json(res, 200, { thread_id: 't-3', metadata: {} });
      json(res, 200, { files: 'many' });
    });
    const odd = await atolye('run', 'x', '--dir', project);
    expect(odd.code).toBe(1);
    expect(odd.stderr).toMatch(
      /^atolye: the run API at .* answered something this CLI does not understand/,
    );

    api.handle((req, res) => {
      if (req.url === '/threads') return json(res, 200, { thread_id: 't-4', metadata: {} });
      req.socket.destroy();
    });
    const dropped = await atolye('run', 'x', '--dir', project);
    expect(dropped.code).toBe(1);
    expect(dropped.stderr).toContain(`atolye: the run API at ${api.url} does not answer`);
  });
});

describe('atolye diff', () => {
  it('asks for one run with --run, prints the body as it is, or says there is nothing', async () => {
    const diff = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n';
    api.handle((_req, res) => text(res, 200, diff, 'text/x-diff; charset=utf-8'));
    const result = await atolye('diff', 'th 1', '--run', 'r-1');
    expect(result.stdout).toBe(diff);
    expect(api.requests).toEqual(['GET /threads/th%201/diff?run_id=r-1']);

    api.handle((_req, res) => text(res, 200, '\n', 'text/x-diff'));
    expect((await atolye('diff', 't', '--run', 'r-2')).stdout).toBe('no changes in run r-2');
  });

  it("relays the API's refusal", async () => {
    api.handle((_req, res) =>
      json(res, 409, apiError('RUN_DIFF_UNAVAILABLE', 'run r-3 has no recorded starting point')),
    );
    const result = await atolye('diff', 't', '--run', 'r-3');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('atolye: run r-3 has no recorded starting point');
  });
});

describe('atolye apply', () => {
  it('refuses a patch that would write outside the folder, and writes nothing', async () => {
    const folder = path.join(root.dir, 'target');
    mkdirSync(folder);
    writeFiles(folder, { 'a.txt': 'a\n' });
    const before = fingerprint(root.dir);
    api.handle((_req, res) =>
      text(
        res,
        200,
        'diff --git a/../escape.txt b/../escape.txt\nnew file mode 100644\n--- /dev/null\n+++ b/../escape.txt\n@@ -0,0 +1 @@\n+out\n',
        'text/x-patch',
      ),
    );
    const result = await atolye('apply', 't', '--dir', folder);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'atolye: the patch names "../escape.txt", which is not a path inside the folder it may change',
    );
    expect(api.requests).toEqual(['GET /threads/t/patch']);
    expect(fingerprint(root.dir)).toEqual(before);
  });

  it('names a folder that is not there', async () => {
    api.handle((_req, res) => text(res, 200, '', 'text/x-patch'));
    const missing = path.join(root.dir, 'missing');
    const result = await atolye('apply', 't', '--dir', missing);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`atolye: there is no folder ${missing}`);
  });
});

// The colouring itself, which the real-terminal test in workspace-commands.test.ts sees only on
// an ordinary diff: the edge cases are easier to state here.
describe('colourDiff', () => {
  const bold = (line: string) => `\x1b[1m${line}\x1b[0m`;
  const red = (line: string) => `\x1b[31m${line}\x1b[0m`;
  const green = (line: string) => `\x1b[32m${line}\x1b[0m`;
  const cyan = (line: string) => `\x1b[36m${line}\x1b[0m`;

  it('tells a removed "-- x" line from a header by counting the hunk, and leaves markers plain', () => {
    const diff = [
      'diff --git a/x b/x',
      '--- a/x',
      '+++ b/x',
      '@@ -1,3 +1,2 @@ context',
      ' same',
      '--- looks like a header',
      '+++ looks like one too',
      '-last',
      '\\ No newline at end of file',
      'diff --git a/y b/y',
      '@@ -1 +1 @@',
      '-y',
      '+z',
      '\\ No newline at end of file',
      '',
    ].join('\n');
    expect(colourDiff(diff).split('\n')).toEqual([
      bold('diff --git a/x b/x'),
      bold('--- a/x'),
      bold('+++ b/x'),
      cyan('@@ -1,3 +1,2 @@ context'),
      ' same',
      red('--- looks like a header'),
      green('+++ looks like one too'),
      red('-last'),
      '\\ No newline at end of file',
      bold('diff --git a/y b/y'),
      cyan('@@ -1 +1 @@'),
      red('-y'),
      green('+z'),
      '\\ No newline at end of file',
      '',
    ]);
  });
});
