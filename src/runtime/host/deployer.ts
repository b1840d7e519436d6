import { copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AtolyeError, errorMessage } from '../../errors.js';
import { contentVersion, Manifest, type ManifestFunction } from '../bundle/manifest.js';
import { describeIssues } from '../contract.js';
import { silentLogger, type HostLogger } from './log.js';
import type { Registry } from './registry.js';
import type { Pool, PoolSpec } from './types.js';

/** Where deployments are remembered; the SQLite DeploymentStore in production, anything in tests. */
export interface DeploymentLog {
  activate(version: string, manifest: unknown, message?: string): { id: number };
  recordFailure(version: string, manifest: unknown, message: string): { id: number };
  active(): { id: number; version: string; manifest: unknown } | undefined;
  previous(): { id: number; version: string; manifest: unknown } | undefined;
}

export interface DeployedFunction {
  name: string;
  version: string;
  /** `started` got a new pool (blue/green), `kept` its warm workers, `removed` was drained. */
  change: 'started' | 'kept' | 'removed';
  /** First reply of the new version's first worker, measured by its health check. */
  coldStartMs?: number;
}

export interface DeployResult {
  deploymentId?: number;
  version: string;
  functions: DeployedFunction[];
}

export interface DeployerOptions {
  registry: Registry;
  log: DeploymentLog;
  /** Versioned copies of every deployed bundle live here, so a rebuild never changes running code. */
  bundleDir: string;
  createPool(spec: PoolSpec): Pool & { start?(): Promise<void> };
  logger?: HostLogger;
  healthTimeoutMs?: number;
}

/**
 * Applies manifests to the host, blue/green per changed function: start the new version's pool,
 * health-check it, switch the registry, drain the old pool. A function whose version did not
 * change keeps its warm workers. If any new pool fails its health check nothing is switched.
 * Deploys run one at a time.
 */
export class Deployer {
  private readonly logger: HostLogger;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly draining = new Set<Promise<void>>();

  constructor(private readonly options: DeployerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Deploys a manifest whose bundles sit in `distDir` (the folder holding manifest.json). */
  deploy(manifestInput: unknown, distDir: string): Promise<DeployResult> {
    return this.serialised(async () => {
      const manifest = parseManifest(manifestInput);
      await this.stage(manifest, distDir);
      return this.apply(manifest, true);
    });
  }

  /** Brings back the active deployment after a host restart, from the staged bundles. */
  restore(): Promise<DeployResult | undefined> {
    return this.serialised(async () => {
      const active = this.options.log.active();
      if (!active) return undefined;
      return this.apply(parseManifest(active.manifest), false);
    });
  }

  /** Re-deploys the deployment that was live before the active one. */
  rollback(): Promise<DeployResult> {
    return this.serialised(async () => {
      const previous = this.options.log.previous();
      if (!previous) {
        throw new AtolyeError('ROLLBACK_UNAVAILABLE', 'there is no earlier deployment to roll back to');
      }
      return this.apply(parseManifest(previous.manifest), true, `rollback to deployment ${previous.id}`);
    });
  }

  /** Resolves when every pool replaced by a deploy has finished its calls and stopped. */
  async settled(): Promise<void> {
    await this.queue.catch(() => undefined);
    await Promise.all([...this.draining]);
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Copies each bundle into `<bundleDir>/<name>/<version>/` after checking it is that version. */
  private async stage(manifest: Manifest, distDir: string): Promise<void> {
    for (const fn of manifest.functions) {
      const target = this.bundlePath(fn);
      if (await exists(target)) continue;
      const source = path.resolve(distDir, fn.entry);
      let bytes: Buffer;
      try {
        bytes = await readFile(source);
      } catch (error) {
        throw new AtolyeError('DEPLOY_BUNDLE_MISSING', `bundle of ${fn.name} not readable at ${source}: ${errorMessage(error)}`);
      }
      if (contentVersion(bytes) !== fn.version) {
        throw new AtolyeError(
          'DEPLOY_BUNDLE_MISMATCH',
          `bundle of ${fn.name} at ${source} is not version ${fn.version}: rebuild, then deploy the new manifest`,
        );
      }
      await mkdir(path.dirname(target), { recursive: true });
      const partial = `${target}.partial`;
      await copyFile(source, partial);
      await copyFile(`${source}.map`, `${target}.map`).catch(() => undefined);
      await rename(partial, target);
    }
  }

  private async apply(manifest: Manifest, record: boolean, message = 'deploy'): Promise<DeployResult> {
    const { registry, log } = this.options;
    const wanted = new Set(manifest.functions.map((fn) => fn.name));
    const changed = manifest.functions.filter((fn) => registry.get(fn.name)?.spec.version !== fn.version);
    const functions: DeployedFunction[] = manifest.functions
      .filter((fn) => !changed.includes(fn))
      .map((fn) => ({ name: fn.name, version: fn.version, change: 'kept' }));

    const started = await Promise.all(changed.map((fn) => this.startPool(fn)));
    const reasons = started.flatMap((result) => (result.ok ? [] : [`${result.name}: ${result.reason}`]));
    if (reasons.length > 0) {
      await Promise.all(started.map((result) => (result.ok ? result.pool.drain() : undefined)));
      if (record) log.recordFailure(manifest.version, manifest, reasons.join('; '));
      throw new AtolyeError(
        'DEPLOY_FAILED',
        `deployment ${manifest.version} failed its health checks; the previous version keeps serving:\n  - ${reasons.join('\n  - ')}`,
      );
    }
    for (const result of started) {
      if (!result.ok) continue;
      this.retire(registry.swap(result.name, result.pool));
      functions.push({ name: result.name, version: result.pool.spec.version, change: 'started', coldStartMs: result.coldStartMs });
    }
    for (const name of registry.names().filter((candidate) => !wanted.has(candidate))) {
      const pool = registry.remove(name);
      functions.push({ name, version: pool?.spec.version ?? '', change: 'removed' });
      this.retire(pool);
    }
    functions.sort((a, b) => a.name.localeCompare(b.name));

    const active = log.active();
    let deploymentId = active?.id;
    if (record && (active?.version !== manifest.version || functions.some((fn) => fn.change !== 'kept'))) {
      deploymentId = log.activate(manifest.version, manifest, message).id;
    }
    this.logger.system.info(`${message} ${manifest.version} live`, {
      deploymentId,
      functions: functions.map((fn) => `${fn.name}@${fn.version}:${fn.change}`),
    });
    return { deploymentId, version: manifest.version, functions };
  }

  private async startPool(
    fn: ManifestFunction,
  ): Promise<{ ok: true; name: string; pool: Pool; coldStartMs: number } | { ok: false; name: string; reason: string }> {
    const bundlePath = this.bundlePath(fn);
    if (!(await exists(bundlePath))) {
      return { ok: false, name: fn.name, reason: `bundle ${bundlePath} is missing; deploy from a fresh build` };
    }
    const pool = this.options.createPool({
      name: fn.name,
      version: fn.version,
      bundlePath,
      limits: fn.limits,
      secrets: fn.secrets,
    });
    const began = performance.now();
    await pool.start?.();
    const check = await pool.healthCheck(this.options.healthTimeoutMs ?? 15_000);
    if (!check.ok) {
      await pool.drain();
      return { ok: false, name: fn.name, reason: check.reason };
    }
    return { ok: true, name: fn.name, pool, coldStartMs: Math.round(performance.now() - began) };
  }

  private retire(pool: Pool | undefined): void {
    if (!pool) return;
    const drained = pool.drain().finally(() => this.draining.delete(drained));
    this.draining.add(drained);
  }

  private bundlePath(fn: Pick<ManifestFunction, 'name' | 'version'>): string {
    return path.join(this.options.bundleDir, fn.name, fn.version, 'index.mjs');
  }
}

function parseManifest(input: unknown): Manifest {
  const parsed = Manifest.safeParse(input);
  if (!parsed.success) {
    throw new AtolyeError('MANIFEST_INVALID', `the manifest is invalid: ${describeIssues(parsed.error).join('; ')}`);
  }
  return parsed.data;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Removes staged bundles of versions no deployment references any more. */
export async function removeBundle(bundleDir: string, name: string, version: string): Promise<void> {
  await rm(path.join(bundleDir, name, version), { recursive: true, force: true });
}
