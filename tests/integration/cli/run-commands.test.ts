import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import path from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';
import { startStepHost, type StepHost } from '../orchestrator/helpers.js';
import { cliAgainst, runCli, threadOf, type CliResult } from '../../helpers/cli.js';

// `atolye run`, `runs` and `files` in this process against a real orchestrator in front of a real
// worker host running the scripted step functions ("plan-fails" tasks fail, "slow" ones dawdle).

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;

beforeAll(async () => {
  root = tempDir('atolye-run-cli-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(root.dir, stepHost);
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

// No orchestrator.json here: a test without api.url must not find a developer's local API.
const cliData = (): { ATOLYE_DATA_DIR: string } => ({
  ATOLYE_DATA_DIR: path.join(root.dir, 'cli-data'),
});
const atolye = (...args: string[]): Promise<CliResult> =>
  cliAgainst(api.url, api.key, args, { env: cliData() });

describe('atolye run', () => {
  it('streams each step with its duration and tokens, the tool calls, files and summary', async () => {
    const result = await atolye('run', 'write notes');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const steps = lines
      .map((line) => /^ {2}(\w+)\s+(\d+ ms|\d+\.\d s)(.*)$/.exec(line))
      .filter((match) => match !== null);
    expect(steps.map((match) => match[1])).toEqual([
      'plan',
      'act',
      'tools',
      'act',
      'review',
      'finalize',
    ]);
    expect(steps[0]?.[3]).toContain('30 tokens');
    expect(steps[2]?.[3]).not.toContain('tokens');
    expect(lines.filter((line) => line.includes('→'))).toEqual([
      '      → write_file path=notes.txt',
    ]);
    expect(result.stdout).toMatch(/files changed \(1\):\n {2}notes\.txt/);
    expect(result.stdout).toContain('success: write notes (notes.txt)');
    expect(result.stdout).toMatch(/^run \S+ success in .* · 75 tokens · \$0\.0050$/m);
  });

  it('--json prints one JSON object with the run record, files and summary', async () => {
    const result = await atolye('run', 'json please', '--json');
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      status: 'success',
      files: ['notes.txt'],
      summary: 'success: json please (notes.txt)',
      kwargs: { input: { task: 'json please' } },
      usage: { input_tokens: 50, output_tokens: 25 },
    });
    expect(parsed.run_id).toEqual(expect.any(String));
  });

  it('a failing run exits 1 with its error, after the step that failed', async () => {
    const result = await atolye('run', 'plan-fails today');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^ {6}✗ plan failed: PLAN_REFUSED: .*the planner refuses this task \(scripted\)$/m,
    );
    expect(result.stdout).not.toContain('__');
    expect(result.stderr).toMatch(
      /^atolye: run \S+ ended with status error: plan failed: PLAN_REFUSED: .*the planner refuses this task/,
    );

    const json = await atolye('run', 'plan-fails again', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'error',
      error: { code: 'PLAN_REFUSED' },
      files: [],
    });
  });

  it('--thread refuses an unknown thread and creates nothing; --create creates it', async () => {
    const mistyped = await atolye('run', 'first on named', '--thread', 'named-thread');
    expect(mistyped.code).toBe(1);
    expect(mistyped.stdout).toBe('');
    expect(mistyped.stderr).toBe(
      `atolye: no thread named-thread at ${api.url} that this API key can see: list recent threads with \`npx atolye runs\` (the thread column), leave out --thread to start a new one, or add --create to create thread named-thread`,
    );
    const none = await atolye('runs', '--json');
    expect(JSON.parse(none.stdout)).not.toContainEqual(
      expect.objectContaining({ thread_id: 'named-thread' }),
    );

    const first = await atolye('run', 'first on named', '--thread', 'named-thread', '--create');
    expect(first.code).toBe(0);
    expect(threadOf(first.stdout)).toBe('named-thread');
    const second = await atolye('run', 'second on named', '--thread', 'named-thread');
    expect(second.code).toBe(0);

    const runs = await atolye('runs', '--thread', 'named-thread', '--json');
    const listed = JSON.parse(runs.stdout) as { kwargs: { input: { task: string } } }[];
    expect(listed.map((run) => run.kwargs.input.task)).toEqual([
      'second on named',
      'first on named',
    ]);
  });

  it('reads the URL and key from ATOLYE_API_URL and ATOLYE_API_KEY', async () => {
    const result = await runCli(['run', 'from env', '--json'], {
      env: { ...cliData(), ATOLYE_API_URL: api.url, ATOLYE_API_KEY: api.key },
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'success' });
  });

  it('loses no step when the event stream drops mid-run', async () => {
    const proxy = await droppingProxy(new URL(api.url));
    try {
      const result = await cliAgainst(proxy.url, api.key, ['run', 'slow and dropped'], {
        env: cliData(),
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(proxy.dropped()).toBe(1);
      const steps = result.stdout
        .split('\n')
        .map((line) => /^ {2}(\w+) /.exec(line)?.[1])
        .filter(Boolean);
      expect(steps).toEqual(['plan', 'act', 'tools', 'act', 'review', 'finalize']);
    } finally {
      await proxy.close();
    }
  });
});

describe('atolye runs', () => {
  it('lists the runs of the recent threads, newest first, with their status and task', async () => {
    const failed = await atolye('run', 'plan-fails for the list');
    const result = await atolye('runs');
    expect(result.code).toBe(0);
    const [header, rule, ...rows] = result.stdout.split('\n');
    expect(header).toMatch(/^run\s+thread\s+status\s+created\s+task$/);
    expect(rule).toMatch(/^-+/);
    expect(rows[0]).toContain(threadOf(failed.stdout));
    expect(rows[0]).toMatch(/ error .*plan-fails for the list$/);
    expect(rows.some((row) => / success .*write notes$/.test(row))).toBe(true);
  });

  it('cuts long tasks short', async () => {
    const task = `write ${'very '.repeat(30)}long notes`;
    const run = await atolye('run', task);
    const result = await atolye('runs', '--thread', threadOf(run.stdout));
    expect(result.stdout).toContain(`${task.slice(0, 47)}…`);
    expect(result.stdout).not.toContain(task);
  });
});

describe('atolye files', () => {
  let threadId: string;

  beforeAll(async () => {
    threadId = threadOf((await atolye('run', 'make a workspace')).stdout);
    // The scripted tools write nothing: put files where the agent's would be.
    const workspace = path.join(api.workspaceRoot, threadId);
    mkdirSync(path.join(workspace, 'src'), { recursive: true });
    writeFileSync(path.join(workspace, 'notes.txt'), 'hello\n');
    writeFileSync(path.join(workspace, 'src', 'index.ts'), 'export const answer = 42;\n');
    writeFileSync(path.join(workspace, 'logo.bin'), Buffer.from([0, 1, 2, 255]));
  });

  it('shows the workspace as a tree with sizes', async () => {
    const result = await atolye('files', threadId);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      `thread ${threadId}: 3 files, 36 B`,
      '',
      'logo.bin     4 B',
      'notes.txt    6 B',
      'src/',
      '  index.ts  26 B',
    ]);
  });

  it('prints a text file, saves any file with --out, and the workspace with --archive', async () => {
    const content = await atolye('files', threadId, 'src/index.ts');
    expect(content.code).toBe(0);
    expect(content.stdout).toBe('export const answer = 42;\n');

    const binary = await atolye('files', threadId, 'logo.bin');
    expect(binary.code).toBe(1);
    expect(binary.stderr).toContain('--out');

    const saved = path.join(root.dir, 'logo-copy.bin');
    expect((await atolye('files', threadId, 'logo.bin', '--out', saved)).code).toBe(0);
    expect([...readFileSync(saved)]).toEqual([0, 1, 2, 255]);

    const archive = path.join(root.dir, 'workspace.tar.gz');
    const archived = await atolye('files', threadId, '--archive', archive);
    expect(archived.code).toBe(0);
    expect([...readFileSync(archive).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
  });

  it("answers a missing file or thread with the API's message", async () => {
    const file = await atolye('files', threadId, 'nope.txt');
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(/^atolye: .*nope\.txt/);

    const thread = await atolye('files', 'no-such-thread');
    expect(thread.code).toBe(1);
    expect(thread.stderr).toContain('atolye: no thread no-such-thread');
  });
});

describe('reaching the API', () => {
  it('without a key says how to create one', async () => {
    const result = await cliAgainst(api.url, '', ['runs'], { env: cliData() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npx atolye keys create --name me');
    expect(result.stderr).toContain('export ATOLYE_API_KEY=');
  });

  it('with a wrong key relays the 401', async () => {
    const result = await cliAgainst(api.url, 'atk_wrong', ['runs'], { env: cliData() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the API key is unknown or revoked');
  });

  it('names the URL and `npm run deploy` when nothing answers', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const result = await cliAgainst(url, 'atk_any', ['run', 'x'], { env: cliData() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the run API at ${url} does not answer`);
    expect(result.stderr).toContain('npm run deploy');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('without api.url uses api.port on loopback', async () => {
    const port = await closedPort();
    const result = await runCli(['--set', `api.port=${port}`, '--set', 'api.key=atk_any', 'runs'], {
      env: cliData(),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`http://127.0.0.1:${port} does not answer`);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A loopback proxy in front of the API that cuts the first run stream after its first `updates`
 * event, the way a flaky network or a restarted proxy would.
 */
async function droppingProxy(
  target: URL,
): Promise<{ url: string; dropped(): number; close(): Promise<void> }> {
  let dropped = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        const cut =
          dropped === 0 && incoming.method === 'POST' && incoming.url?.endsWith('/runs/stream');
        response.on('data', (chunk: Buffer) => {
          outgoing.write(chunk);
          if (cut && chunk.toString().includes('event: updates')) {
            dropped += 1;
            response.destroy();
            outgoing.socket?.destroy();
          }
        });
        response.on('end', () => outgoing.end());
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    dropped: () => dropped,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
