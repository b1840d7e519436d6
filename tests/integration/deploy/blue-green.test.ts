import { rmSync } from 'node:fs';
import path from 'node:path';
import type { DeploymentRecord } from '../../../src/store/deployments.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  admin,
  build,
  call,
  changeOf,
  copyBuild,
  deploy,
  deployOk,
  hostConfig,
  poolStats,
  startTestHost,
  versionOf,
  writeFixtures,
  type Build,
  type TestHost,
} from './helpers.js';
import { isAlive } from '../../helpers/processes.js';

// Three builds of the same two functions: v1; v2 where only alpha changed; and one whose alpha
// crashes while a worker loads it.
let work: ReturnType<typeof tempDir>;
let v1: Build;
let v1Rebuilt: Build;
let v2: Build;
let crashing: Build;
const hosts: TestHost[] = [];

beforeAll(async () => {
  work = tempDir('atolye-deploy-bg-');
  const functionsDir = path.join(work.dir, 'functions');
  writeFixtures(functionsDir, { alpha: { label: 'alpha v1' }, beta: { label: 'beta v1' } });
  v1 = await build(functionsDir, path.join(work.dir, 'dist-v1'));
  v1Rebuilt = await build(functionsDir, path.join(work.dir, 'dist-v1-again'));
  writeFixtures(functionsDir, { alpha: { label: 'alpha v2' } });
  v2 = await build(functionsDir, path.join(work.dir, 'dist-v2'));
  writeFixtures(functionsDir, { alpha: { label: 'alpha v3', crashOnStart: true } });
  crashing = await build(functionsDir, path.join(work.dir, 'dist-crashing'));
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.stop()));
});

afterAll(() => work.cleanup());

let counter = 0;
/** A host with a data folder of its own (or the given one, to restart on it). */
async function newHost(dataDir = path.join(work.dir, `data-${(counter += 1)}`)): Promise<TestHost> {
  const host = await startTestHost(hostConfig(dataDir, path.join(work.dir, `logs-${counter}`)));
  hosts.push(host);
  return host;
}

async function history(host: TestHost): Promise<DeploymentRecord[]> {
  return (await admin<{ deployments: DeploymentRecord[] }>(host, 'GET', '/admin/deployments')).body
    .deployments;
}

describe('blue/green deploys on an in-process host', () => {
  it('sanity: the builds differ exactly where the source did', () => {
    expect(versionOf(v1Rebuilt, 'alpha')).toBe(versionOf(v1, 'alpha'));
    expect(v1Rebuilt.manifest.version).toBe(v1.manifest.version);
    expect(versionOf(v2, 'alpha')).not.toBe(versionOf(v1, 'alpha'));
    expect(versionOf(v2, 'beta')).toBe(versionOf(v1, 'beta'));
    expect(versionOf(crashing, 'alpha')).not.toBe(versionOf(v2, 'alpha'));
  });

  it('deploys a build and serves every function through the signed client', async () => {
    const host = await newHost();
    const result = await deployOk(host, v1);
    expect(result.version).toBe(v1.manifest.version);
    expect(result.deploymentId).toBe(1);
    expect(result.functions.map((fn) => [fn.name, fn.version, fn.change])).toEqual([
      ['alpha', versionOf(v1, 'alpha'), 'started'],
      ['beta', versionOf(v1, 'beta'), 'started'],
    ]);
    for (const fn of result.functions) expect(fn.coldStartMs).toEqual(expect.any(Number));

    const alpha = await call(host, 'alpha');
    expect(alpha).toMatchObject({
      label: 'alpha v1',
      version: versionOf(v1, 'alpha'),
      invocations: 1,
    });
    const beta = await call(host, 'beta');
    expect(beta).toMatchObject({ label: 'beta v1', version: versionOf(v1, 'beta') });
    expect(beta.pid).not.toBe(alpha.pid);
    // The worker started by the health check is the one that serves: no second cold start.
    expect((await call(host, 'alpha')).pid).toBe(alpha.pid);
  });

  it('redeploying an unchanged rebuild keeps every warm worker and records no new deployment', async () => {
    const host = await newHost();
    await deployOk(host, v1);
    const before = { alpha: await call(host, 'alpha'), beta: await call(host, 'beta') };

    const again = await deployOk(host, v1Rebuilt);
    expect(again.functions.map((fn) => [fn.name, fn.change])).toEqual([
      ['alpha', 'kept'],
      ['beta', 'kept'],
    ]);
    expect(again.deploymentId).toBe(1);
    expect(await history(host)).toHaveLength(1);

    const after = { alpha: await call(host, 'alpha'), beta: await call(host, 'beta') };
    expect(after.alpha.pid).toBe(before.alpha.pid);
    expect(after.beta.pid).toBe(before.beta.pid);
    // Module state survived: the same worker counts on.
    expect(after.alpha.invocations).toBe(before.alpha.invocations + 1);
    expect((await poolStats(host)).map((pool) => pool.starts)).toEqual([1, 1]);
  });

  it('starts a new pool only for the function whose source changed; the other keeps its warm worker', async () => {
    const host = await newHost();
    await deployOk(host, v1);
    const before = { alpha: await call(host, 'alpha'), beta: await call(host, 'beta') };

    const result = await deployOk(host, v2);
    expect(changeOf(result, 'alpha')).toBe('started');
    expect(changeOf(result, 'beta')).toBe('kept');
    expect(result.deploymentId).toBe(2);

    const alpha = await call(host, 'alpha');
    expect(alpha).toMatchObject({
      label: 'alpha v2',
      version: versionOf(v2, 'alpha'),
      invocations: 1,
    });
    expect(alpha.pid).not.toBe(before.alpha.pid);
    const beta = await call(host, 'beta');
    expect(beta.pid).toBe(before.beta.pid);
    expect(beta.invocations).toBe(before.beta.invocations + 1);

    // The replaced pool drains and its worker ends.
    await host.host.deployer.settled();
    expect(isAlive(before.alpha.pid)).toBe(false);
    const rows = await history(host);
    expect(rows.map((row) => [row.id, row.version, row.status])).toEqual([
      [2, v2.manifest.version, 'active'],
      [1, v1.manifest.version, 'superseded'],
    ]);
  });

  it('refuses a version that cannot start with 409 DEPLOY_FAILED; the old version keeps serving', async () => {
    const host = await newHost();
    await deployOk(host, v1);
    const before = await call(host, 'alpha');

    const reply = await deploy(host, crashing);
    expect(reply.status).toBe(409);
    const error = (reply.body as { error: { code: string; message: string; retryable: boolean } })
      .error;
    expect(error.code).toBe('DEPLOY_FAILED');
    expect(error.message).toContain(
      `deployment ${crashing.manifest.version} failed its health checks`,
    );
    expect(error.message).toContain('the previous version keeps serving');
    expect(error.message).toMatch(/alpha: .*refuses to start/);

    const after = await call(host, 'alpha');
    expect(after).toMatchObject({
      label: 'alpha v1',
      version: versionOf(v1, 'alpha'),
      pid: before.pid,
    });
    const stats = await poolStats(host);
    expect(stats.map((pool) => [pool.name, pool.version])).toEqual([
      ['alpha', versionOf(v1, 'alpha')],
      ['beta', versionOf(v1, 'beta')],
    ]);

    const rows = await history(host);
    expect(rows.map((row) => [row.version, row.status])).toEqual([
      [crashing.manifest.version, 'failed'],
      [v1.manifest.version, 'active'],
    ]);
    expect(rows[0]?.message).toMatch(/alpha: .*refuses to start/);
    const status = await admin<{ host: { deployment: number } }>(host, 'GET', '/admin/status');
    expect(status.body.host.deployment).toBe(1);
  });

  it('a restarted host brings back the last deployment from its staged bundles, without a new deploy', async () => {
    const dataDir = path.join(work.dir, 'data-restart');
    const first = await newHost(dataDir);
    await deployOk(first, v1);
    // Deployed from a build folder that disappears afterwards: the host runs its own copies.
    const transient = copyBuild(v2, path.join(work.dir, 'dist-transient'));
    await deployOk(first, transient);
    rmSync(transient.distDir, { recursive: true, force: true });
    const old = await call(first, 'alpha');
    await first.stop();
    expect(isAlive(old.pid)).toBe(false);

    const second = await newHost(dataDir);
    expect(second.url).not.toBe(first.url);
    const restored = await poolStats(second);
    expect(restored.map((pool) => [pool.name, pool.version])).toEqual([
      ['alpha', versionOf(v2, 'alpha')],
      ['beta', versionOf(v2, 'beta')],
    ]);
    const alpha = await call(second, 'alpha');
    expect(alpha).toMatchObject({ label: 'alpha v2', version: versionOf(v2, 'alpha') });
    expect(alpha.pid).not.toBe(old.pid);
    expect((await call(second, 'beta')).label).toBe('beta v1');
    // Restoring is not a deployment.
    const rows = await history(second);
    expect(rows.map((row) => [row.id, row.status])).toEqual([
      [2, 'active'],
      [1, 'superseded'],
    ]);
  });

  it('rolls back to the previous version, and answers 409 ROLLBACK_UNAVAILABLE when there is none', async () => {
    const host = await newHost();
    const none = await admin(host, 'POST', '/admin/rollback');
    expect(none.status).toBe(409);
    expect(none.body).toMatchObject({ error: { code: 'ROLLBACK_UNAVAILABLE' } });

    await deployOk(host, v1);
    expect((await admin(host, 'POST', '/admin/rollback')).body).toMatchObject({
      error: { code: 'ROLLBACK_UNAVAILABLE' },
    });
    await deployOk(host, v2);
    const betaPid = (await call(host, 'beta')).pid;
    expect((await call(host, 'alpha')).label).toBe('alpha v2');

    const rollback = await admin<{
      version: string;
      deploymentId: number;
      functions: { name: string; change: string }[];
    }>(host, 'POST', '/admin/rollback');
    expect(rollback.status).toBe(200);
    expect(rollback.body.version).toBe(v1.manifest.version);
    expect(rollback.body.deploymentId).toBe(3);
    expect(rollback.body.functions.map((fn) => [fn.name, fn.change])).toEqual([
      ['alpha', 'started'],
      ['beta', 'kept'],
    ]);
    expect(await call(host, 'alpha')).toMatchObject({
      label: 'alpha v1',
      version: versionOf(v1, 'alpha'),
    });
    expect((await call(host, 'beta')).pid).toBe(betaPid);

    const rows = await history(host);
    expect(rows.map((row) => [row.id, row.version, row.status, row.message])).toEqual([
      [3, v1.manifest.version, 'active', 'rollback to deployment 1'],
      [2, v2.manifest.version, 'superseded', 'deploy'],
      [1, v1.manifest.version, 'superseded', 'deploy'],
    ]);
  });
});
