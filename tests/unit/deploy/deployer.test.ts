import path from 'node:path';
import {
  contentVersion,
  createManifest,
  type Manifest,
} from '../../../src/runtime/bundle/manifest.js';
import { Limits } from '../../../src/runtime/contract.js';
import { Deployer, type DeploymentLog } from '../../../src/runtime/host/deployer.js';
import { Registry } from '../../../src/runtime/host/registry.js';
import type {
  HostInvokeOutcome,
  Pool,
  PoolSpec,
  PoolStats,
  WorkerPing,
} from '../../../src/runtime/host/types.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

// The deployer's decisions (what to start, when to switch, what to drain, what to record) with
// pools that only pretend to run workers; the integration suite runs the real ones.

type Behaviour = 'healthy' | 'unhealthy' | 'throws';

class FakePool implements Pool {
  drained = false;
  constructor(
    readonly spec: PoolSpec,
    private readonly behaviour: Behaviour,
  ) {}
  invoke(): Promise<HostInvokeOutcome> {
    return Promise.resolve({
      ok: true,
      output: this.spec.version,
      durationMs: 0,
      coldStart: false,
      worker: 1,
    });
  }
  health() {
    return { status: 'pass' as const };
  }
  healthCheck(): Promise<WorkerPing> {
    return Promise.resolve(
      this.behaviour === 'healthy'
        ? { ok: true, worker: 1, rssBytes: 1, latencyMs: 1 }
        : { ok: false, reason: `${this.spec.name} said no` },
    );
  }
  stats(): PoolStats {
    throw new Error('not used');
  }
  drain(): Promise<void> {
    this.drained = true;
    return Promise.resolve();
  }
}

class MemoryLog implements DeploymentLog {
  readonly rows: {
    id: number;
    version: string;
    manifest: unknown;
    status: string;
    message: string;
  }[] = [];
  activate(version: string, manifest: unknown, message = '') {
    for (const row of this.rows) if (row.status === 'active') row.status = 'superseded';
    this.rows.push({ id: this.rows.length + 1, version, manifest, status: 'active', message });
    return { id: this.rows.length };
  }
  recordFailure(version: string, manifest: unknown, message: string) {
    this.rows.push({ id: this.rows.length + 1, version, manifest, status: 'failed', message });
    return { id: this.rows.length };
  }
  active() {
    return this.rows.find((row) => row.status === 'active');
  }
  previous() {
    return undefined;
  }
  history(limit = 20) {
    return [...this.rows].reverse().slice(0, limit);
  }
}

let work: ReturnType<typeof tempDir>;
beforeEach(() => (work = tempDir('atolye-deployer-unit-')));
afterEach(() => work.cleanup());

/** Writes a build folder holding one bundle per `name: code`, and returns its manifest. */
function buildOf(
  folder: string,
  code: Record<string, string>,
): { manifest: Manifest; distDir: string } {
  const distDir = path.join(work.dir, folder);
  writeFiles(
    distDir,
    Object.fromEntries(
      Object.entries(code).map(([name, text]) => [`functions/${name}/index.mjs`, text]),
    ),
  );
  const manifest = createManifest(
    Object.entries(code).map(([name, text]) => ({
      name,
      description: '',
      limits: Limits.parse({}),
      secrets: [],
      version: contentVersion(text),
      bytes: text.length,
      entry: `functions/${name}/index.mjs`,
      external: [],
    })),
    new Date(),
  );
  return { manifest, distDir };
}

function setup(behaviour: (spec: PoolSpec) => Behaviour = () => 'healthy') {
  const registry = new Registry<FakePool>();
  const log = new MemoryLog();
  const created: FakePool[] = [];
  const deployer = new Deployer({
    registry: registry as unknown as Registry,
    log,
    bundleDir: path.join(work.dir, 'bundles'),
    createPool: (spec) => {
      const chosen = behaviour(spec);
      if (chosen === 'throws') throw new Error(`cannot create a pool for ${spec.name}`);
      const pool = new FakePool(spec, chosen);
      created.push(pool);
      return pool;
    },
  });
  return { registry, log, created, deployer };
}

describe('Deployer', () => {
  it('fails the deploy like a failed health check when a pool cannot even be created, draining the others', async () => {
    const { registry, log, created, deployer } = setup((spec) =>
      spec.name === 'beta' ? 'throws' : 'healthy',
    );
    const { manifest, distDir } = buildOf('dist', { alpha: 'a1', beta: 'b1' });
    await expect(deployer.deploy(manifest, distDir)).rejects.toMatchObject({
      code: 'DEPLOY_FAILED',
      message: expect.stringContaining(
        'beta: its pool could not be started: cannot create a pool for beta',
      ),
    });
    expect(created.map((pool) => [pool.spec.name, pool.drained])).toEqual([['alpha', true]]);
    expect(registry.names()).toEqual([]);
    expect(log.rows.map((row) => row.status)).toEqual(['failed']);
  });

  it('switches nothing until every changed function passed its health check', async () => {
    let second = false;
    const { registry, created, deployer } = setup((spec) =>
      second && spec.name === 'beta' ? 'unhealthy' : 'healthy',
    );
    const v1 = buildOf('v1', { alpha: 'a1', beta: 'b1' });
    await deployer.deploy(v1.manifest, v1.distDir);
    const live = registry.list();

    second = true;
    const v2 = buildOf('v2', { alpha: 'a2', beta: 'b2' });
    await expect(deployer.deploy(v2.manifest, v2.distDir)).rejects.toMatchObject({
      code: 'DEPLOY_FAILED',
      message: expect.stringContaining('beta: beta said no'),
    });
    expect(registry.list()).toEqual(live);
    expect(live.every((pool) => !pool.drained)).toBe(true);
    // Both new pools were started (in either order) and drained again.
    expect(
      created
        .slice(2)
        .map((pool) => [pool.spec.version, pool.drained])
        .sort(),
    ).toEqual(
      [
        [contentVersion('a2'), true],
        [contentVersion('b2'), true],
      ].sort(),
    );
  });

  it('drains the pool of a function the new build no longer has, and reports it removed', async () => {
    const { registry, deployer } = setup();
    const v1 = buildOf('v1', { alpha: 'a1', beta: 'b1' });
    await deployer.deploy(v1.manifest, v1.distDir);
    const beta = registry.get('beta');
    const v2 = buildOf('v2', { alpha: 'a1' });
    const result = await deployer.deploy(v2.manifest, v2.distDir);
    expect(result.functions.map((fn) => [fn.name, fn.change])).toEqual([
      ['alpha', 'kept'],
      ['beta', 'removed'],
    ]);
    expect(registry.names()).toEqual(['alpha']);
    expect(beta?.drained).toBe(true);
  });

  it('close() lets the running deploy finish and refuses the rest with HOST_CLOSING', async () => {
    const { registry, deployer } = setup();
    const v1 = buildOf('v1', { alpha: 'a1' });
    const v2 = buildOf('v2', { alpha: 'a2' });
    const running = deployer.deploy(v1.manifest, v1.distDir);
    const queued = deployer.deploy(v2.manifest, v2.distDir);
    await new Promise((resolve) => setImmediate(resolve)); // the first one has begun staging
    await deployer.close();
    await expect(running).resolves.toMatchObject({ version: v1.manifest.version });
    await expect(queued).rejects.toMatchObject({ code: 'HOST_CLOSING', retryable: true });
    await expect(deployer.rollback()).rejects.toMatchObject({ code: 'HOST_CLOSING' });
    expect(registry.get('alpha')?.spec.version).toBe(contentVersion('a1'));
  });
});
