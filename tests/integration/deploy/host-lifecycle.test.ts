import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { AtolyeError } from '../../../src/errors.js';
import { startHost } from '../../../src/deploy/local/host.js';
import { createLogging } from '../../../src/logging/index.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  admin,
  build,
  call,
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

let work: ReturnType<typeof tempDir>;
let v1: Build;
let v2: Build;
const hosts: TestHost[] = [];

beforeAll(async () => {
  work = tempDir('atolye-deploy-life-');
  const functionsDir = path.join(work.dir, 'functions');
  writeFixtures(functionsDir, { alpha: { label: 'alpha v1' }, beta: { label: 'beta v1' } });
  v1 = await build(functionsDir, path.join(work.dir, 'dist-v1'));
  writeFixtures(functionsDir, { alpha: { label: 'alpha v2' } });
  v2 = await build(functionsDir, path.join(work.dir, 'dist-v2'));
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
  // Whatever a test did, no worker of its hosts may outlive it.
  await eventually(`no process uses ${work.dir}`, () => processesUsing(work.dir).length === 0, {
    timeoutMs: 5_000,
  }).catch((error: unknown) => {
    const leaked = processesUsing(work.dir);
    for (const { pid } of leaked) process.kill(pid, 'SIGKILL');
    throw new Error(`${String(error)}; leaked: ${JSON.stringify(leaked)}`);
  });
});

afterAll(() => work.cleanup());

let counter = 0;
async function newHost(dataDir = path.join(work.dir, `data-${(counter += 1)}`)): Promise<TestHost> {
  const host = await startTestHost(hostConfig(dataDir, path.join(work.dir, `logs-${counter}`)));
  hosts.push(host);
  return host;
}

describe('host lifecycle around deploys', () => {
  it('serialises concurrent deploys: both succeed, in order, and the later one is live', async () => {
    const host = await newHost();
    const [first, second] = await Promise.all([deployOk(host, v1), deployOk(host, v2)]);
    expect(first.deploymentId).toBe(1);
    expect(second.deploymentId).toBe(2);
    expect(second.functions.map((fn) => [fn.name, fn.change])).toEqual([
      ['alpha', 'started'],
      ['beta', 'kept'],
    ]);
    expect(await call(host, 'alpha')).toMatchObject({
      label: 'alpha v2',
      version: versionOf(v2, 'alpha'),
    });
  });

  it('a host closed while a deploy runs leaves no worker behind and refuses deploys that come later', async () => {
    const host = await newHost();
    const running = host.host.deployer.deploy(v1.manifest, v1.distDir);
    const queued = host.host.deployer.deploy(v2.manifest, v2.distDir);
    const later = host.host.deployer.deploy(v2.manifest, v2.distDir);
    await host.stop();
    // The running deploy finished before the host closed its pools; the ones behind it were refused.
    await expect(running).resolves.toMatchObject({ version: v1.manifest.version });
    for (const refused of [queued, later]) {
      await expect(refused).rejects.toMatchObject({ code: 'HOST_CLOSING' });
    }
    await expect(host.host.deployer.deploy(v2.manifest, v2.distDir)).rejects.toMatchObject({
      code: 'HOST_CLOSING',
    });
    for (const pool of host.host.registry.list()) expect(pool.stats().workers.total).toBe(0);
  });

  it('a host that cannot listen says so and stops the workers it restored', async () => {
    const dataDir = path.join(work.dir, 'data-busy-port');
    const first = await newHost(dataDir);
    await deployOk(first, v1);
    await first.stop();

    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const config = hostConfig(dataDir, path.join(work.dir, 'logs-busy-port'));
    const logging = createLogging(config, { service: 'host', release: 'test-release' });
    try {
      const error = await startHost(config, { port, logging }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(AtolyeError);
      expect(error).toMatchObject({ code: 'HOST_LISTEN_FAILED' });
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).toMatch(/EADDRINUSE|in use/);
    } finally {
      await logging.close();
      await new Promise((resolve) => blocker.close(resolve));
    }
    // The restored workers are gone now, not only once the test process exits (afterEach checks).
    expect(processesUsing(dataDir)).toEqual([]);
  });

  it('a host restarted after its active deployment became unrestorable starts empty and accepts a new deploy', async () => {
    const dataDir = path.join(work.dir, 'data-lost-bundles');
    const first = await newHost(dataDir);
    await deployOk(first, v1);
    await first.stop();
    // Someone cleaned the data folder's bundles.
    rmSync(path.join(dataDir, 'bundles'), { recursive: true, force: true });

    const second = await newHost(dataDir);
    const status = await admin<{ functions: unknown[]; host: { restoreError?: string } }>(
      second,
      'GET',
      '/admin/status',
    );
    expect(status.body.functions).toEqual([]);
    expect(status.body.host.restoreError).toMatch(
      /could not restore the last deployment: .*deploy again/s,
    );
    await deployOk(second, v2);
    expect((await call(second, 'alpha')).label).toBe('alpha v2');
    const after = await admin<{ host: { restoreError?: string } }>(second, 'GET', '/admin/status');
    expect(after.body.host.restoreError).toBeUndefined();
  });
});
