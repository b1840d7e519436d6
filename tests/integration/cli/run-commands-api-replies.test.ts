import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import {
  json,
  runRecord,
  sse,
  startCannedApi,
  text,
  type CannedApi,
  type CannedHandler,
} from './canned-api.js';
import { cliAgainst, type CliResult } from '../../helpers/cli.js';

// `atolye run | runs | files` against a loopback server that answers what each test needs: error
// statuses with JSON and non-JSON bodies, dropped event streams, odd workspaces.

let root: ReturnType<typeof tempDir>;
let api: CannedApi;

beforeAll(async () => {
  root = tempDir('atolye-run-replies-');
  api = await startCannedApi();
});

afterAll(async () => {
  await api?.close();
  root?.cleanup();
});

beforeEach(() => api.requests.splice(0));

const atolye = (...args: string[]): Promise<CliResult> =>
  cliAgainst(`${api.url}/`, 'test-key', args, {
    env: { ATOLYE_DATA_DIR: path.join(root.dir, 'data') },
  });

const apiError = (code: string, message: string) => ({ error: { code, message } });

/** `handler`, behind a GET /threads/thread-1 that finds the thread (`run --thread` asks first). */
function onThread1(handler: CannedHandler): CannedHandler {
  return (req, res) =>
    req.method === 'GET' && req.url === '/threads/thread-1'
      ? json(res, 200, { thread_id: 'thread-1', status: 'idle', metadata: {}, values: null })
      : handler(req, res);
}

describe('API errors', () => {
  it('a 401 with an error body gives its message and how to get a key', async () => {
    api.handle((_req, res) => json(res, 401, apiError('UNAUTHORIZED', 'invalid API key')));
    const result = await atolye('run', 'anything');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'atolye: invalid API key; check api.key / ATOLYE_API_KEY, or create a key with `npx atolye keys create --name me`',
    );
    expect(api.requests).toEqual(['POST /threads']);
  });

  it('a 500 with an error body gives its message; a 429 with a text body quotes it', async () => {
    api.handle((_req, res) => json(res, 500, apiError('DB_DOWN', 'the database is down')));
    const failed = await atolye('runs');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('atolye: the database is down');

    api.handle((_req, res) => text(res, 429, 'slow\n   down please'));
    const limited = await atolye('runs');
    expect(limited.code).toBe(1);
    expect(limited.stderr).toBe('atolye: HTTP 429: slow down please');
  });

  it('a body that is JSON but not an error body is quoted as text', async () => {
    api.handle((_req, res) => json(res, 409, { detail: 'thread busy' }));
    const result = await atolye('run', 'x', '--thread', 't-busy');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('atolye: HTTP 409: {"detail":"thread busy"}');
  });

  it('a 200 that is not JSON is an API failure naming the URL', async () => {
    api.handle((_req, res) => text(res, 200, '<html>proxy</html>', 'text/html'));
    const result = await atolye('runs');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^atolye: the run API at ${api.url} failed: .*JSON`));
  });

  it('a connection dropped mid-request counts as the API not answering', async () => {
    api.handle((req) => void req.socket.destroy());
    const sdk = await atolye('runs');
    expect(sdk.code).toBe(1);
    expect(sdk.stderr).toMatch(
      new RegExp(`^atolye: the run API at ${api.url} does not answer \\(.*\\); start it with`),
    );
    const files = await atolye('files', 'thread-1');
    expect(files.code).toBe(1);
    expect(files.stderr).toMatch(
      new RegExp(`^atolye: the run API at ${api.url} does not answer \\(.*\\); start it with`),
    );
  });

  it('files relays a 404 JSON body and a 409 text body', async () => {
    api.handle((_req, res) => json(res, 404, apiError('THREAD_NOT_FOUND', 'no thread nope')));
    const missing = await atolye('files', 'nope', '--json');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('atolye: no thread nope');
    expect(api.requests).toEqual(['GET /threads/nope/files']);

    api.handle((_req, res) => text(res, 409, ''));
    const busy = await atolye('files', 'busy', '--archive', path.join(root.dir, 'never.tar.gz'));
    expect(busy.code).toBe(1);
    expect(busy.stderr).toBe('atolye: HTTP 409: ');
  });

  it('--limit outside 1..1000 is a usage error', async () => {
    for (const bad of ['0', '1001', 'many']) {
      const result = await atolye('runs', '--limit', bad);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('use a whole number from 1 to 1000');
    }
    expect(api.requests).toEqual([]);
  });
});

describe('atolye runs', () => {
  it('says how to start a run when there are none', async () => {
    api.handle((_req, res) => json(res, 200, []));
    const result = await atolye('runs');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('no runs yet; start one with `npx atolye run "TASK"`');
    expect(api.requests).toEqual(['POST /threads/search']);
  });

  it('--thread --limit --json lists only that thread, newest first, at most limit runs', async () => {
    api.handle((_req, res) =>
      json(res, 200, [
        runRecord({ run_id: 'old', created_at: '2026-01-01T00:00:00.000Z' }),
        runRecord({ run_id: 'new', created_at: '2026-01-03T00:00:00.000Z' }),
      ]),
    );
    const result = await atolye('runs', '--thread', 'thread-1', '--limit', '1', '--json');
    expect(result.code).toBe(0);
    const runs = JSON.parse(result.stdout) as { run_id: string }[];
    expect(runs.map((run) => run.run_id)).toEqual(['new']);
    expect(api.requests).toEqual(['GET /threads/thread-1/runs?limit=1&offset=0']);
  });

  it('a run record it does not understand is a clear error, not a stack trace', async () => {
    api.handle((_req, res) => json(res, 200, [{ run_id: 'x' }]));
    const result = await atolye('runs', '--thread', 'thread-1');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^atolye: the run API at http:\/\/127\.0\.0\.1:\d+ answered something this CLI does not understand \(0\.thread_id: .*\); are the CLI and the orchestrator the same version\?$/m,
    );
  });
});

describe('atolye files', () => {
  it('prints an empty workspace, and a tree with folders and sizes in B, KiB and MiB', async () => {
    api.handle((_req, res) => json(res, 200, { thread_id: 'empty', files: [] }));
    const empty = await atolye('files', 'empty');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('the workspace of thread empty is empty');

    const files = [
      { path: 'src', type: 'directory', size: 0 },
      { path: 'src/big.bin', type: 'file', size: 3 * 1024 * 1024 },
      { path: 'src/mid.txt', type: 'file', size: 2048 },
      { path: 'a.txt', type: 'file', size: 5 },
    ];
    api.handle((_req, res) => json(res, 200, { thread_id: 'full', files }));
    const tree = await atolye('files', 'full');
    expect(tree.code).toBe(0);
    expect(tree.stdout.split('\n')).toEqual([
      'thread full: 3 files, 3.0 MiB',
      '',
      'src/',
      '  big.bin  3.0 MiB',
      '  mid.txt  2.0 KiB',
      'a.txt          5 B',
    ]);
    const asJson = await atolye('files', 'full', '--json');
    expect(JSON.parse(asJson.stdout)).toEqual(files);
  });

  it('prints text files, refuses binary ones without --out, and saves them with --out', async () => {
    api.handle((req, res) => {
      if (req.url === '/threads/t/files/data/blob.bin') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.from([0, 1, 2, 255]));
      } else if (req.url === '/threads/t/files/raw') {
        // No content type at all.
        res.removeHeader('content-type');
        res.writeHead(200);
        res.end(Buffer.from([0, 1]));
      } else {
        text(res, 200, '{"a":1}', 'application/json');
      }
    });
    const textual = await atolye('files', 't', 'conf/x y.json');
    expect(textual.code).toBe(0);
    expect(textual.stdout).toBe('{"a":1}');
    expect(api.requests).toEqual(['GET /threads/t/files/conf/x%20y.json']);

    const binary = await atolye('files', 't', 'data/blob.bin');
    expect(binary.code).toBe(1);
    expect(binary.stderr).toBe(
      'atolye: data/blob.bin is not text (application/octet-stream); save it with --out FILE',
    );
    const raw = await atolye('files', 't', 'raw');
    expect(raw.code).toBe(1);
    expect(raw.stderr).toBe('atolye: raw is not text (no content type); save it with --out FILE');

    const target = path.join(root.dir, 'blob.bin');
    const saved = await atolye('files', 't', 'data/blob.bin', '--out', target);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe(`saved data/blob.bin to ${target} (4 B)`);
    expect([...readFileSync(target)]).toEqual([0, 1, 2, 255]);
  });
});

describe('atolye run against canned streams', () => {
  const created = (res: Parameters<typeof json>[0]) =>
    json(res, 200, { thread_id: 'thread-1', created_at: '', updated_at: '', metadata: {} });

  it('a run that stops short prints the stop reason and the stream error, summary from values', async () => {
    api.handle((req, res) => {
      if (req.method === 'POST' && req.url === '/threads') return created(res);
      if (req.url?.startsWith('/threads/thread-1/runs/stream'))
        return sse(res, [
          { event: 'metadata', data: { run_id: 'run-1' }, id: '1' },
          { event: 'values', data: { summary: 'half done' }, id: '2' },
          { event: 'error', data: { error: 'Stuck', message: 'no progress' }, id: '3' },
          { event: 'end', data: null, id: '4' },
        ]);
      return json(res, 200, runRecord({ status: 'interrupted', stop_reason: 'stuck' }));
    });
    const result = await atolye('run', 'a task');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('\nhalf done\n');
    expect(result.stdout).toMatch(/^run run-1 interrupted in /m);
    expect(result.stderr).toBe(
      'atolye: run run-1 ended with status interrupted (stuck): Stuck: no progress',
    );
  });

  it('an unknown --thread is refused before any run starts; --create goes with --thread only', async () => {
    api.handle((_req, res) => json(res, 404, apiError('THREAD_NOT_FOUND', 'no thread')));
    const unknown = await atolye('run', 'a task', '--thread', 'not-a-thread');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `atolye: no thread not-a-thread at ${api.url} that this API key can see: list recent threads with \`npx atolye runs\` (the thread column), leave out --thread to start a new one, or add --create to create thread not-a-thread`,
    );
    expect(api.requests).toEqual(['GET /threads/not-a-thread']);

    api.requests.splice(0);
    const alone = await atolye('run', 'a task', '--create');
    expect(alone.code).toBe(2);
    expect(alone.stderr).toBe(
      'atolye: --create goes with --thread ID: it creates that thread when it does not exist',
    );
    expect(api.requests).toEqual([]);
  });

  it('another failure looking the thread up is relayed as it is', async () => {
    api.handle((_req, res) =>
      json(res, 403, apiError('FORBIDDEN', 'this key may not read threads')),
    );
    const result = await atolye('run', 'a task', '--thread', 'thread-1');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('atolye: this key may not read threads');
    expect(api.requests).toEqual(['GET /threads/thread-1']);
  });

  it('a failed run without a reason says only its status', async () => {
    api.handle((req, res) => {
      if (req.url?.includes('/runs/stream'))
        return sse(res, [
          { event: 'metadata', data: { run_id: 'run-1' } },
          { event: 'end', data: null },
        ]);
      return json(res, 200, runRecord({ status: 'error' }));
    });
    const result = await atolye('run', 'a task', '--thread', 'thread-1', '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'error', files: [], summary: null });
    expect(result.stderr).toBe('atolye: run run-1 ended with status error');
  });

  it('re-attaches after the last event when the stream drops, and gives up after three tries', async () => {
    let joins = 0;
    api.handle(
      onThread1((req, res) => {
        if (req.method === 'POST') {
          return sse(res, [{ event: 'metadata', data: { run_id: 'run-1' }, id: '7' }]);
        }
        if (req.url?.startsWith('/threads/thread-1/runs/run-1/stream')) {
          joins += 1;
          return sse(res, [{ event: 'values', data: {}, id: String(7 + joins) }]);
        }
        return json(res, 404, apiError('NOT_FOUND', 'unexpected'));
      }),
    );
    const result = await atolye('run', 'a task', '--thread', 'thread-1');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'atolye: lost the event stream of run run-1 on thread thread-1; see `npx atolye runs --thread thread-1`',
    );
    expect(joins).toBe(3);
    const lastEventIds = api.requests
      .filter((line) => line.includes('/runs/run-1/stream'))
      .map((line) => /\[(\d+)\]$/.exec(line)?.[1]);
    expect(lastEventIds).toEqual(['7', '8', '9']);
  });

  it('a stream that ends before the run is known is lost without re-attaching', async () => {
    api.handle(onThread1((_req, res) => sse(res, [{ event: 'values', data: { x: 1 } }])));
    const result = await atolye('run', 'a task', '--thread', 'thread-1');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'atolye: lost the event stream of the run on thread thread-1; see `npx atolye runs --thread thread-1`',
    );
    expect(api.requests).toEqual(['GET /threads/thread-1', 'POST /threads/thread-1/runs/stream']);
  });

  it('re-attaching to a run the API no longer knows relays its 404 at once', async () => {
    api.handle(
      onThread1((req, res) => {
        if (req.method === 'POST')
          return sse(res, [{ event: 'metadata', data: { run_id: 'run-9' }, id: '1' }]);
        return json(res, 404, apiError('RUN_NOT_FOUND', 'no run run-9'));
      }),
    );
    const result = await atolye('run', 'a task', '--thread', 'thread-1');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('atolye: no run run-9');
  });
});
