import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../src/config/index.js';
import { buildFunctions } from '../../../src/runtime/bundle/index.js';
import { createInvoker } from '../../../src/runtime/invoke.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { freePort } from '../../helpers/free-port.js';
import { startProcess, type WatchedProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/tmp.js';

// The generated image entrypoint, run for real outside Docker (its /app paths overridden): the
// `function <name>` role starts the worker host, deploys that one function with one warm worker,
// and serves the signed wire contract. The CLI writes the artefacts from a real build.

const SIGNING = 'entrypoint-signing-secret-0123456789';
const ADMIN = 'entrypoint-admin-token-0123456789';

let work: ReturnType<typeof tempDir>;
let distDir: string;
let outDir: string;
const started: WatchedProcess[] = [];
const atolye = (...args: string[]): Promise<CliResult> => runCli(args);

beforeAll(async () => {
  work = tempDir('atolye-targets-entry-');
  distDir = path.join(work.dir, 'dist');
  outDir = path.join(work.dir, 'docker');
  await buildFunctions({ outDir: distDir, only: ['echo'] });
});

afterAll(async () => {
  for (const child of started) await child.stop({ signal: 'SIGKILL' });
  work.cleanup();
});

describe('npm run deploy -- --target docker, and the entrypoint it writes', () => {
  it('writes the artefacts from the build and lists them', async () => {
    const result = await atolye('deploy', '--target', 'docker', '--dist', distDir, '--out', outDir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('docker artefacts for build');
    expect(result.stdout).toContain(path.join(outDir, 'Dockerfile'));
    expect(result.stdout).toContain(path.join(outDir, 'docker-compose.yml'));
  });

  it('says to build first when the build folder has no manifest', async () => {
    const result = await atolye(
      'deploy',
      '--target',
      'modal',
      '--dist',
      path.join(work.dir, 'none'),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('run `npm run build` first');
  });

  it('serves one function with one warm worker behind the signed wire contract', async () => {
    const port = await freePort();
    const env = {
      ...process.env,
      ATOLYE_ENV: 'production',
      ATOLYE_APP_DIR: projectRoot(),
      ATOLYE_DIST_DIR: distDir,
      ATOLYE_HEALTH_URL_FILE: path.join(work.dir, 'health-url'),
      ATOLYE_HOST_PORT: String(port),
      ATOLYE_HOST_BIND: '127.0.0.1',
      ATOLYE_DATA_DIR: path.join(work.dir, 'data'),
      ATOLYE_LOG_DIR: path.join(work.dir, 'logs'),
      ATOLYE_SIGNING_SECRET: SIGNING,
      ATOLYE_ADMIN_TOKEN: ADMIN,
      ECHO_SECRET: 'declared-and-delivered',
    };
    const entrypoint = path.join(outDir, 'docker-entrypoint.mjs');
    const child = startProcess(process.execPath, [entrypoint, 'function', 'echo'], { env });
    started.push(child);
    await child.waitFor(/docker-entrypoint: serving echo/, 'the entrypoint to serve echo', {
      timeoutMs: 45_000,
    });
    const url = `http://127.0.0.1:${port}`;
    expect(readFileSync(env.ATOLYE_HEALTH_URL_FILE, 'utf8')).toBe(url);

    const invoke = createInvoker({ baseUrl: url, secret: SIGNING, retries: 0 });
    const reply = await invoke<{ message: string; envValue: string | null }>('echo', {
      message: 'hi',
      env: 'ECHO_SECRET',
    });
    expect(reply.output).toMatchObject({ message: 'hi', envValue: 'declared-and-delivered' });

    const status = (await (
      await fetch(`${url}/admin/status`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as { functions: { name: string; workers: { total: number } }[] };
    expect(status.functions.map((fn) => [fn.name, fn.workers.total])).toEqual([['echo', 1]]);

    const probes = () =>
      ['healthcheck', 'ready'].map((probe) => [
        probe,
        spawnSync(process.execPath, [entrypoint, probe], { env, encoding: 'utf8' }).status,
      ]);
    expect(probes()).toEqual([
      ['healthcheck', 0],
      ['ready', 0],
    ]);
    // Without the deployed marker a live host is not ready: an empty host would answer 404.
    rmSync(`${env.ATOLYE_HEALTH_URL_FILE}.ready`);
    expect(probes()).toEqual([
      ['healthcheck', 0],
      ['ready', 1],
    ]);

    child.child.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
    expect(probes()).toEqual([
      ['healthcheck', 1],
      ['ready', 1],
    ]);
  });

  it('refuses a function the image does not hold, naming the ones it does', () => {
    const result = spawnSync(
      process.execPath,
      [path.join(outDir, 'docker-entrypoint.mjs'), 'function', 'nope'],
      {
        env: { ...process.env, ATOLYE_DIST_DIR: distDir },
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no function "nope" in the image; it has: echo');
  });
});
