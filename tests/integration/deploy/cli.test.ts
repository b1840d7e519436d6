import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { createInvoker } from '../../../src/runtime/invoke.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import type { EnvChanges } from '../../helpers/env.js';
import { tempDir } from '../../helpers/tmp.js';
import { recordedHostPid } from './helpers.js';
import { eventually } from '../../helpers/eventually.js';
import { isAlive, processesUsing, stopProcess } from '../../helpers/processes.js';

// `atolye deploy | status | down` end to end, in this process, against a real daemon host: a
// detached child that outlives the command which started it, as it does for a user.

let work: ReturnType<typeof tempDir>;
let dataDir: string;
let outDir: string;

beforeAll(() => {
  work = tempDir('atolye-deploy-cli-');
  dataDir = path.join(work.dir, 'data');
  outDir = path.join(work.dir, 'dist');
});

afterAll(async () => {
  // Whatever happened above, no daemon (nor any of its workers) survives the suite.
  const pid = recordedHostPid(dataDir);
  if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const leaked of processesUsing(work.dir)) process.kill(leaked.pid, 'SIGKILL');
  work.cleanup();
});

/**
 * What the commands see, and hand to the daemon host they start: this suite's folders, the
 * host and the run API on any free port unless a test picks one.
 */
function deployEnv(ports: { host?: number; api?: number } = {}): EnvChanges {
  return {
    ATOLYE_DATA_DIR: dataDir,
    ATOLYE_LOG_DIR: path.join(work.dir, 'logs'),
    ATOLYE_HOST_PORT: String(ports.host ?? 0),
    ATOLYE_API_PORT: String(ports.api ?? 0),
    ATOLYE_ENV: 'testing',
  };
}

const atolye = (...args: string[]): Promise<CliResult> => runCli(args, { env: deployEnv() });

interface HostFile {
  pid: number;
  url: string;
}

function hostFile(): HostFile {
  return JSON.parse(readFileSync(path.join(dataDir, 'host.json'), 'utf8')) as HostFile;
}

/** The table row of `name` in the command's output, split into its cells. */
function row(stdout: string, name: string): string[] {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (!line) throw new Error(`no row for ${name} in:\n${stdout}`);
  return line.trim().split(/\s{2,}/);
}

describe('atolye deploy, status and down against a daemon host', () => {
  let first: HostFile;

  it('refuses an unknown deploy target, naming the ones there are, before doing anything', async () => {
    const result = await atolye('deploy', '--target', 'nope', '--no-typecheck', '--out', outDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'atolye: deploy target "nope" is not available; use one of: local',
    );
    expect(existsSync(outDir)).toBe(false);
    expect(existsSync(path.join(dataDir, 'host.json'))).toBe(false);
  });

  it('deploy builds, starts a daemon host, deploys and prints the functions with their endpoints', async () => {
    // No model key for the host, whatever this environment holds: deploy must say so.
    const result = await atolye(
      '--set',
      'model.apiKey=',
      'deploy',
      '--no-typecheck',
      '--out',
      outDir,
    );
    expect(result.stderr).not.toContain('atolye:');
    expect(result.code).toBe(0);
    first = hostFile();
    expect(first.pid).not.toBe(process.pid);
    expect(isAlive(first.pid)).toBe(true);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.url).not.toBe('http://127.0.0.1:8787');

    expect(result.stderr).toContain('… building bundles');
    expect(result.stderr).toContain('… starting the worker host');
    expect(result.stdout).toMatch(
      /^deployment 1 \(build [0-9a-f]{12}\) is live on a newly started host$/m,
    );
    const manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as {
      functions: { name: string; version: string }[];
    };
    const echoVersion = manifest.functions.find((fn) => fn.name === 'echo')?.version;
    const [name, version, change, endpoint, workers, coldStart] = row(result.stdout, 'echo');
    expect([name, version, change, endpoint, workers]).toEqual([
      'echo',
      echoVersion,
      'started',
      `${first.url}/fn/echo`,
      '1',
    ]);
    expect(Number(coldStart)).toBeGreaterThan(0);
    expect(result.stdout).toContain(`health   ${first.url}/healthz   ${first.url}/readyz`);

    // The host brought the orchestrator up with the functions, and deploy printed its API.
    expect(result.stderr).toContain('… waiting for the orchestrator');
    const api = JSON.parse(
      readFileSync(path.join(dataDir, 'orchestrator.json'), 'utf8'),
    ) as HostFile;
    expect(result.stdout).toContain(`run API  ${api.url}`);
    expect(result.stdout).toContain(`dashboard ${api.url}/`);
    expect(result.stdout).toContain(
      'model    NOT CONFIGURED: every run will fail with MODEL_KEY_MISSING until the host has a model key.',
    );
    expect(result.stdout).toContain(
      [
        'next:',
        '  1. create an API key (printed once):  npx atolye keys create --name me',
        '     then export ATOLYE_API_KEY=<the key> for the CLI',
        `  2. open the dashboard and sign in with the key:  ${api.url}/`,
        '  3. run a task:  npx atolye run "write a CSV-to-JSON CLI with tests"',
      ].join('\n'),
    );
    expect((await fetch(`${api.url}/`)).headers.get('content-type')).toMatch(/^text\/html/);
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'pass' });

    // The endpoint it printed answers signed calls.
    const invoke = createInvoker({ baseUrl: first.url, secret: 'test-signing-secret', retries: 0 });
    const reply = await invoke<{ message: string }>('echo', { message: 'hello from the cli test' });
    expect(reply.output.message).toBe('hello from the cli test');
    expect(reply.meta.version).toBe(echoVersion);
  });

  it('deploying the same code again keeps the running host and its workers', async () => {
    const result = await atolye('deploy', '--no-typecheck', '--out', outDir);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('starting the worker host');
    expect(result.stdout).toMatch(/^deployment 1 \(build [0-9a-f]{12}\) is live$/m);
    expect(row(result.stdout, 'echo')[2]).toBe('kept');
    expect(hostFile()).toEqual(expect.objectContaining({ pid: first.pid, url: first.url }));
    // The orchestrator runs the previous deploy's code: it is restarted with the new one.
    expect(result.stderr).toContain('… restarting the orchestrator with the new code');
    expect(result.stdout).toMatch(/^run API {2}http:\/\/127\.0\.0\.1:\d+/m);
  });

  it('status --json lists the host and echo with its URL', async () => {
    const result = await atolye('status', '--json');
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as {
      running: boolean;
      url: string;
      apiUrl: string;
      endpoints: Record<string, string>;
      host: { pid: number; env: string };
      functions: { name: string; health: { status: string }; invocations: number }[];
    };
    expect(status).toMatchObject({
      running: true,
      url: first.url,
      apiUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      host: { pid: first.pid, env: 'testing' },
    });
    expect(status.endpoints).toMatchObject({
      echo: `${first.url}/fn/echo`,
      healthz: `${first.url}/healthz`,
      readyz: `${first.url}/readyz`,
      metrics: `${first.url}/metrics`,
    });
    expect(status.functions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'echo', health: { status: 'pass' }, invocations: 1 }),
      ]),
    );
    // The agent steps are deployed beside echo; only echo has been called.
    expect(status.functions.map((fn) => fn.name).sort()).toEqual([
      'act',
      'checkout',
      'echo',
      'finalize',
      'plan',
      'review',
      'tools',
    ]);
  });

  it('status prints a table a person can read', async () => {
    const result = await atolye('status');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^worker host ${first.url} \\(pid ${first.pid}, up \\d+ s\\)`),
    );
    expect(result.stdout).toMatch(
      /^function\s+version\s+health\s+workers\s+queued\s+calls\s+endpoint$/m,
    );
    const [name, , health, workers, queued, calls, endpoint] = row(result.stdout, 'echo');
    expect([name, health, workers, queued, calls, endpoint]).toEqual([
      'echo',
      'pass',
      '1 (0 busy, 1 idle)',
      '0',
      '1',
      `${first.url}/fn/echo`,
    ]);
  });

  it('down stops the daemon and its workers', async () => {
    const workers = processesUsing(dataDir).filter((proc) => proc.pid !== first.pid);
    expect(workers.length).toBeGreaterThan(0);
    const result = await atolye('down');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`worker host ${first.url} stopped`);
    expect(isAlive(first.pid)).toBe(false);
    expect(existsSync(path.join(dataDir, 'host.json'))).toBe(false);
    await eventually(
      'the workers of the stopped host are gone',
      () => processesUsing(work.dir).length === 0,
      { timeoutMs: 5_000 },
    );
  });

  it('status afterwards exits non-zero saying no host runs; down again is a no-op', async () => {
    const human = await atolye('status');
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toBe('atolye: no worker host is running; start one with `npm run deploy`');

    const json = await atolye('status', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ running: false });

    const down = await atolye('down');
    expect(down.code).toBe(0);
    expect(down.stdout).toBe('no worker host is running');
  });

  it('deploy fails fast, quoting the host, when the host cannot listen; nothing it restored stays', async () => {
    // The data folder still holds the echo deployment, which the new daemon restores before it
    // finds its port taken.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = await runCli(['deploy', '--no-typecheck', '--out', outDir], {
        env: deployEnv({ host: port }),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('the worker host exited with status 1 while starting');
      expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(result.stderr).toContain(
        `port ${port} (host.port) is in use by another program: deploy on another port with ` +
          '`npm run deploy -- --set host.port=<port>`, `ATOLYE_HOST_PORT=<port> npm run deploy`',
      );
      // The daemon's own words, not a stack trace; its exit noticed, not the 30 s start timeout.
      expect(result.stderr).not.toContain('UVException');
      expect(result.stderr).not.toContain('did not answer within');
      await eventually(
        'the failed host and its workers are gone',
        () => processesUsing(work.dir).length === 0,
        { timeoutMs: 5_000 },
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('deploy fails fast, quoting the orchestrator, when the run API cannot listen; the host it started is stopped', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = await runCli(['deploy', '--no-typecheck', '--out', outDir], {
        env: deployEnv({ api: port }),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('… waiting for the orchestrator');
      expect(result.stderr).toContain(
        'atolye: the orchestrator (the run API) exited with status 1 while starting:\n' +
          `atolye: the orchestrator cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`,
      );
      expect(result.stderr).toContain(
        `port ${port} (api.port) is in use by another program: deploy on another port with ` +
          '`npm run deploy -- --set api.port=<port>`, `ATOLYE_API_PORT=<port> npm run deploy`',
      );
      // Its exit noticed, not the 30 s wait for a state file it never writes.
      expect(result.stderr).not.toContain('is not ready after');
      const stopped =
        /the worker host this deploy started \(pid (\d+)\) is stopped again; nothing was left running$/m.exec(
          result.stderr,
        );
      expect(stopped).not.toBeNull();

      // Nothing it started runs on: no host, no supervisor, no orchestrator, no worker.
      expect(isAlive(Number(stopped?.[1]))).toBe(false);
      for (const file of ['host.json', 'host-supervisor.json', 'orchestrator.json']) {
        expect(existsSync(path.join(dataDir, file))).toBe(false);
      }
      expect(processesUsing(work.dir)).toEqual([]);
      const status = await atolye('status', '--json');
      expect(status.code).toBe(1);
      expect(JSON.parse(status.stdout)).toEqual({ running: false });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('deploy refuses to start a second host while an unresponsive one lives', async () => {
    // A process whose command line names atolye, standing in for a hung host.
    const hung = spawn(
      process.execPath,
      ['-e', 'setInterval(() => {}, 1000)', 'atolye-hung-host'],
      {
        stdio: 'ignore',
      },
    );
    try {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(
        path.join(dataDir, 'host.json'),
        JSON.stringify({
          pid: hung.pid,
          url: 'http://127.0.0.1:1',
          startedAt: new Date().toISOString(),
        }),
      );
      const result = await atolye('deploy', '--no-typecheck', '--out', outDir);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`a worker host (pid ${String(hung.pid)}`);
      expect(result.stderr).toContain('does not answer /healthz');
      expect(hostFile().pid).toBe(hung.pid);
    } finally {
      await stopProcess(hung, { signal: 'SIGKILL' });
      rmSync(path.join(dataDir, 'host.json'), { force: true });
    }
  });
});
