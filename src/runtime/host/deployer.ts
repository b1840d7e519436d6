import { AtolyeError, errorMessage } from '../../errors.js';
import { Manifest, type ManifestFunction } from '../bundle/manifest.js';
import { BundleStore } from './bundle-store.js';
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
  history(limit?: number): { manifest: unknown }[];
}

/** Staged bundles of this many recent deployments are kept for restarts and rollbacks. */
export const KEPT_DEPLOYMENTS = 10;

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
  private readonly bundles: BundleStore;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly draining = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: DeployerOptions) {
    this.bundles = new BundleStore(options.bundleDir);
    this.logger = options.logger ?? silentLogger;
  }

  /** Deploys a manifest whose bundles sit in `distDir` (the folder holding manifest.json). */
  deploy(manifestInput: unknown, distDir: string): Promise<DeployResult> {
    return this.serialised(async () => {
      const manifest = parseManifest(manifestInput);
      await this.bundles.stage(manifest, distDir);
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
        throw new AtolyeError(
          'ROLLBACK_UNAVAILABLE',
          'there is no earlier deployment to roll back to',
        );
      }
      return this.apply(
        parseManifest(previous.manifest),
        true,
        `rollback to deployment ${previous.id}`,
      );
    });
  }

  /** Resolves when every pool replaced by a deploy has finished its calls and stopped. */
  async settled(): Promise<void> {
    await this.queue.catch(() => undefined);
    await Promise.all([...this.draining]);
  }

  /**
   * Refuses every deploy, restore and rollback that has not begun, and resolves once the one in
   * progress has finished. The host calls it before draining its pools: a deploy that switched
   * after that would leave the new pools' workers running with nobody to stop them.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const guarded = (): Promise<T> => {
      if (this.closed) {
        return Promise.reject(
          new AtolyeError(
            'HOST_CLOSING',
            'the worker host is shutting down and takes no deploys; deploy again once it runs',
            {
              retryable: true,
            },
          ),
        );
      }
      return task();
    };
    const run = this.queue.then(guarded, guarded);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(
    manifest: Manifest,
    record: boolean,
    message = 'deploy',
  ): Promise<DeployResult> {
    const { registry, log } = this.options;
    const wanted = new Set(manifest.functions.map((fn) => fn.name));
    const changed = manifest.functions.filter(
      (fn) => registry.get(fn.name)?.spec.version !== fn.version,
    );
    const functions: DeployedFunction[] = manifest.functions
      .filter((fn) => !changed.includes(fn))
      .map((fn) => ({ name: fn.name, version: fn.version, change: 'kept' }));

    const started = await Promise.all(changed.map((fn) => this.startPool(fn)));
    const reasons = started.flatMap((result) =>
      result.ok ? [] : [`${result.name}: ${result.reason}`],
    );
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
      functions.push({
        name: result.name,
        version: result.pool.spec.version,
        change: 'started',
        coldStartMs: result.coldStartMs,
      });
    }
    for (const name of registry.names().filter((candidate) => !wanted.has(candidate))) {
      const pool = registry.remove(name);
      functions.push({ name, version: pool?.spec.version ?? '', change: 'removed' });
      this.retire(pool);
    }
    functions.sort((a, b) => a.name.localeCompare(b.name));

    const active = log.active();
    let deploymentId = active?.id;
    if (
      record &&
      (active?.version !== manifest.version || functions.some((fn) => fn.change !== 'kept'))
    ) {
      deploymentId = log.activate(manifest.version, manifest, message).id;
      await this.prune();
    }
    this.logger.system.info(`${message} ${manifest.version} live`, {
      deploymentId,
      functions: functions.map((fn) => `${fn.name}@${fn.version}:${fn.change}`),
    });
    return { deploymentId, version: manifest.version, functions };
  }

  /** Frees the disk of bundle versions no recent deployment (nor a running pool) refers to. */
  private async prune(): Promise<void> {
    const recent = this.options.log
      .history(KEPT_DEPLOYMENTS)
      .map((row) => Manifest.safeParse(row.manifest))
      .flatMap((parsed) => (parsed.success ? parsed.data.functions : []));
    const running = this.options.registry.list().map((pool) => pool.spec);
    try {
      const removed = await this.bundles.prune([...recent, ...running]);
      if (removed.length > 0) this.logger.system.info('removed old bundles', { removed });
    } catch (error) {
      this.logger.system.warn(`could not remove old bundles: ${errorMessage(error)}`);
    }
  }

  private async startPool(
    fn: ManifestFunction,
  ): Promise<
    | { ok: true; name: string; pool: Pool; coldStartMs: number }
    | { ok: false; name: string; reason: string }
  > {
    const bundlePath = this.bundles.path(fn);
    if (!(await this.bundles.has(fn))) {
      return {
        ok: false,
        name: fn.name,
        reason: `bundle ${bundlePath} is missing; deploy from a fresh build`,
      };
    }
    let pool: (Pool & { start?(): Promise<void> }) | undefined;
    let reason: string;
    const began = performance.now();
    try {
      pool = this.options.createPool({
        name: fn.name,
        version: fn.version,
        bundlePath,
        limits: fn.limits,
        secrets: fn.secrets,
        settings: fn.settings ?? [],
      });
      await pool.start?.();
      const check = await pool.healthCheck(this.options.healthTimeoutMs ?? 15_000);
      if (check.ok)
        return {
          ok: true,
          name: fn.name,
          pool,
          coldStartMs: Math.round(performance.now() - began),
        };
      reason = check.reason;
    } catch (error) {
      // A pool that cannot even be created fails the deploy like a failed health check does; it
      // must not reject the whole batch and strand the pools already started for other functions.
      reason = `its pool could not be started: ${errorMessage(error)}`;
    }
    await pool?.drain();
    return { ok: false, name: fn.name, reason };
  }

  private retire(pool: Pool | undefined): void {
    if (!pool) return;
    const drained = pool.drain().finally(() => this.draining.delete(drained));
    this.draining.add(drained);
  }
}

function parseManifest(input: unknown): Manifest {
  const parsed = Manifest.safeParse(input);
  if (!parsed.success) {
    throw new AtolyeError(
      'MANIFEST_INVALID',
      `the manifest is invalid: ${describeIssues(parsed.error).join('; ')}`,
    );
  }
  if (parsed.data.functions.length === 0) {
    // Deploying nothing would stop every function; `atolye down` is the way to do that.
    throw new AtolyeError(
      'MANIFEST_EMPTY',
      'the manifest lists no functions: build functions/ first',
    );
  }
  return parsed.data;
}
