import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { main } from '../../../src/cli/main.js';
import { parsePort } from '../../../src/cli/host-commands.js';
import { adminCall } from '../../../src/deploy/local/deploy.js';
import { cliEnv, runCli, type CliResult } from '../../helpers/cli.js';
import type { EnvChanges } from '../../helpers/env.js';
import { captureOutput } from '../../helpers/output.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  build,
  deployOk,
  hostConfig,
  startTestHost,
  versionOf,
  writeFixtures,
  type Build,
  type TestHost,
} from './helpers.js';
import { eventually } from '../../helpers/eventually.js';
import { processesUsing } from '../../helpers/processes.js';

// `atolye status | rollback | deploy --target` against an in-process host (no daemon, no deploy
// through the CLI): the CLI finds it through <data>/host.json, as it finds a daemon.

let work: ReturnType<typeof tempDir>;
let dataDir: string;
let v1: Build;
let v2: Build;

beforeAll(async () => {
  work = tempDir('atolye-host-cmd-');
  dataDir = path.join(work.dir, 'data');
  // Two folders, built one after the other (builds share a cache): v1 has alpha, beta and gamma; v2 a new alpha and the same gamma.
  const dirV1 = path.join(work.dir, 'functions-v1');
  const dirV2 = path.join(work.dir, 'functions-v2');
  writeFixtures(dirV1, {
    alpha: { label: 'alpha v1' },
    beta: { label: 'beta v1' },
    gamma: { label: 'gamma' },
  });
  writeFixtures(dirV2, { alpha: { label: 'alpha v2' }, gamma: { label: 'gamma' } });
  v1 = await build(dirV1, path.join(work.dir, 'dist-v1'));
  v2 = await build(dirV2, path.join(work.dir, 'dist-v2'));
});

afterAll(async () => {
  for (const leaked of processesUsing(work.dir)) process.kill(leaked.pid, 'SIGKILL');
  work.cleanup();
});

/** What the commands see: this suite's folders, a host on any free port. */
function hostEnv(): EnvChanges {
  return {
    ATOLYE_DATA_DIR: dataDir,
    ATOLYE_LOG_DIR: path.join(work.dir, 'logs'),
    ATOLYE_ENV: 'testing',
    ATOLYE_HOST_PORT: '0',
  };
}

const atolye = (...args: string[]): Promise<CliResult> => runCli(args, { env: hostEnv() });

function row(stdout: string, name: string): string[] {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (!line) throw new Error(`no row for ${name} in:\n${stdout}`);
  return line.trim().split(/\s{2,}/);
}

describe('host commands without a host', () => {
  it('rollback says no host runs', async () => {
    const result = await atolye('rollback');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'atolye: no worker host is running; start one with `npm run deploy`',
    );
  });

  it('host --port refuses values that are not a port, before starting anything', async () => {
    for (const bad of ['abc', '1.5', '65536']) {
      const result = await atolye('host', '--port', bad);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `--port must be a whole number from 0 to 65535, got "${bad}"`,
      );
    }
    expect(parsePort('0')).toBe(0);
    expect(parsePort('65535')).toBe(65_535);
    expect(() => parsePort('-1')).toThrow('got "-1"');
  });

  it('host --no-orchestrator serves in the foreground until /admin/shutdown, then returns', async () => {
    const output = captureOutput();
    const running = main(['host', '--port', '0', '--no-orchestrator'], {
      output,
      env: cliEnv(hostEnv()),
    });
    const stateFile = path.join(dataDir, 'host.json');
    await eventually('the foreground host wrote host.json', () => existsSync(stateFile), {
      timeoutMs: 10_000,
    });
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number; url: string };
    expect(state.pid).toBe(process.pid);
    const status = await atolye('status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      url: state.url,
      functions: [],
    });
    const config = hostConfig(dataDir, path.join(work.dir, 'logs'));
    await adminCall(config, state.url, 'POST', '/admin/shutdown');
    expect(await running).toBe(0);
    expect(output.stderr()).toBe(`worker host listening on ${state.url} (pid ${process.pid})`);
    expect(existsSync(stateFile)).toBe(false);
  });

  it('deploy --target docker without a build names the missing manifest', async () => {
    const dist = path.join(work.dir, 'no-build');
    const result = await atolye('deploy', '--target', 'docker', '--dist', dist);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `atolye: no ${path.join(dist, 'manifest.json')}: run \`npm run build\` first`,
    );
  });

  it('deploy --target kubernetes writes the artefacts of a build and lists them', async () => {
    const out = path.join(work.dir, 'k8s');
    const result = await atolye(
      'deploy',
      '--target',
      'kubernetes',
      '--dist',
      v1.distDir,
      '--out',
      out,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [first, ...files] = result.stdout.split('\n');
    expect(first).toBe(`kubernetes artefacts for build ${v1.manifest.version}:`);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file).toMatch(new RegExp(`^ {2}${out}/\\S+$`));
  });

  it('deploy --target with an unknown target names the targets there are', async () => {
    const result = await atolye('deploy', '--target', 'heroku');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'atolye: deploy target "heroku" is not available; use one of: local, docker, kubernetes, modal',
    );
  });
});

describe('host commands against a running host', () => {
  let host: TestHost;
  let readyz: Server | undefined;

  beforeAll(async () => {
    // No model key, whatever the environment holds: status must say runs fail until one is set.
    host = await startTestHost(
      hostConfig(dataDir, path.join(work.dir, 'logs'), { 'model.apiKey': '' }),
    );
    await deployOk(host, v2);
  });

  afterAll(async () => {
    await host?.stop();
    if (readyz) await new Promise((resolve) => readyz?.close(resolve));
    await eventually('workers gone', () => processesUsing(work.dir).length === 0, {
      timeoutMs: 5_000,
    });
  });

  it('status without an orchestrator says the run API is not running and prints host readiness', async () => {
    rmSync(path.join(dataDir, 'orchestrator.json'), { force: true });
    const result = await atolye('status');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^worker host ${host.url} \\(pid ${process.pid}, up \\d+ s\\)`),
    );
    expect(row(result.stdout, 'alpha')[1]).toBe(versionOf(v2, 'alpha'));
    expect(result.stdout).toContain('run API: not running (see `services` in status --json)');
    expect(result.stdout).toMatch(/^host readiness: (pass|warn|fail)$/m);
    expect(result.stdout).not.toContain('orchestrator readiness');
    expect(result.stdout).toMatch(/^ {2}warn {2}model:configured +no model key /m);
    expect(result.stdout).toContain(
      'model    NOT CONFIGURED: every run will fail with MODEL_KEY_MISSING until the host has a model key.',
    );
    expect(result.stdout).toContain('export OPENAI_API_KEY=sk-…');
    expect(result.stdout).toContain('export OPENAI_BASE_URL=http://127.0.0.1:11434/v1');
    expect(result.stdout).toContain(
      'then restart the host with them: npx atolye down && npm run deploy',
    );
    expect(result.stdout).toContain('npx atolye demo runs a task against a scripted mock model');
    expect(result.stderr).toBe('');

    const json = await atolye('status', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      apiUrl: string | null;
      readiness: { host: { status: string }; orchestrator: unknown };
    };
    expect(parsed.apiUrl).toBeNull();
    expect(parsed.readiness.orchestrator).toBeNull();
    expect(typeof parsed.readiness.host.status).toBe('string');
  });

  it('status reports an orchestrator that does not answer as a failed readiness check', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    writeFileSync(
      path.join(dataDir, 'orchestrator.json'),
      JSON.stringify({ pid: process.pid, url: deadUrl, startedAt: new Date().toISOString() }),
    );
    const result = await atolye('status');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`run API  ${deadUrl}   (reference: ${deadUrl}/docs)`);
    expect(result.stdout).toMatch(
      new RegExp(
        `^orchestrator readiness: fail\\n {2}fail {2}readyz:answered {2}${deadUrl}/readyz did not answer: `,
        'm',
      ),
    );

    const json = await atolye('status', '--json');
    const parsed = JSON.parse(json.stdout) as {
      apiUrl: string;
      readiness: { orchestrator: { status: string; checks: Record<string, unknown> } };
    };
    expect(parsed.apiUrl).toBe(deadUrl);
    expect(parsed.readiness.orchestrator.status).toBe('fail');
    expect(Object.keys(parsed.readiness.orchestrator.checks)).toEqual(['readyz:answered']);
  });

  it('status prints observed values, and a check without an entry, of an orchestrator that answers', async () => {
    readyz = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/health+json' });
      res.end(
        JSON.stringify({
          status: 'fail',
          checks: {
            'checkpointer:latency': [{ status: 'pass', observedValue: 12, observedUnit: 'ms' }],
            'queue:depth': [{ status: 'warn', observedValue: 3 }],
            'host:reachable': [{ status: 'fail', output: 'connection refused' }],
            'empty:check': [],
          },
        }),
      );
    });
    await new Promise<void>((resolve) => readyz?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(readyz.address() as AddressInfo).port}`;
    writeFileSync(
      path.join(dataDir, 'orchestrator.json'),
      JSON.stringify({ pid: process.pid, url, startedAt: new Date().toISOString() }),
    );
    const result = await atolye('status');
    expect(result.code).toBe(0);
    const start = result.stdout.indexOf('orchestrator readiness');
    // Up to the model-key advice this host's missing key adds after the readiness sections.
    const section = result.stdout.slice(start, result.stdout.indexOf('\n\nmodel ', start));
    expect(section.split('\n')).toEqual([
      'orchestrator readiness: fail',
      '  pass  checkpointer:latency  12 ms',
      '  warn  queue:depth           3',
      '  fail  host:reachable        connection refused',
      '  -     empty:check',
    ]);
  });

  it('rollback with no earlier deployment relays the host refusal', async () => {
    const result = await atolye('rollback');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('atolye: there is no earlier deployment to roll back to');
  });

  it('rollback re-deploys the previous deployment and prints what changed and what was removed', async () => {
    // v2, then v1: rolling back goes to v2 again, which removes beta and keeps gamma.
    await deployOk(host, v1);
    const result = await atolye('rollback');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^deployment 3 \\(build ${v2.manifest.version}\\) is live$`, 'm'),
    );
    const [, alphaVersion, alphaChange, alphaEndpoint, , alphaCold] = row(result.stdout, 'alpha');
    expect([alphaVersion, alphaChange, alphaEndpoint]).toEqual([
      versionOf(v2, 'alpha'),
      'started',
      `${host.url}/fn/alpha`,
    ]);
    expect(Number(alphaCold)).toBeGreaterThan(0);
    const gamma = row(result.stdout, 'gamma');
    expect(gamma[2]).toBe('kept');
    expect(gamma[5]).toBe('-');
    expect(result.stdout).toMatch(/^removed: beta$/m);
    expect(result.stdout).toContain(`metrics  ${host.url}/metrics`);
  });
});
