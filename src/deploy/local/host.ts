import { APPROVAL_KEY_ENV, approvalKeyFrom } from '../../agent/approval/signature.js';
import { sandboxCheck } from '../../agent/sandbox/index.js';
import path from 'node:path';
import {
  configEnvironment,
  resolveFromRoot,
  resolveRelease,
  type AtolyeConfig,
} from '../../config/index.js';
import { resolveSettings, withEnvironment } from '../../config/settings.js';
import { AtolyeError, errorMessage } from '../../errors.js';
import { initLogging, type Logging } from '../../logging/index.js';
import { serviceChecks } from '../../monitoring/health-checks.js';
import { flushSentry, initSentry } from '../../monitoring/index.js';
import {
  createGateway,
  FunctionPool,
  HostMetrics,
  hostLogger,
  postgresReplies,
  Registry,
  type GatewayAddress,
  type HostLogger,
  type ServiceSupervisor,
} from '../../runtime/host/index.js';
import { addAdminRoutes } from '../../runtime/host/admin-routes.js';
import { Deployer } from '../../runtime/host/deployer.js';
import { DeploymentStore } from '../../store/deployments.js';
import { removeHostState, writeHostState } from './daemon.js';

export interface RunningHost {
  address: GatewayAddress;
  deployer: Deployer;
  registry: Registry;
  /** Stops taking calls, lets in-flight ones finish, stops every worker; idempotent. */
  close(): Promise<void>;
  /** Resolves once the host has closed (after close() or POST /admin/shutdown). */
  closed: Promise<void>;
}

export interface HostOptions {
  /** Overrides host.port (0 = any free port). */
  port?: number;
  /** Logging to use instead of initialising the process's own (tests share one). */
  logging?: Logging;
  /**
   * Set up Sentry reporting for this process from `sentry.*` (default true; without a DSN it
   * reports nothing). Independent of `logging`: a caller that shares its logging still says here
   * whether this process reports errors.
   */
  sentry?: boolean;
  /** Services the host supervises alongside the functions (the orchestrator), given its URL. */
  services?: (hostUrl: string, logger: HostLogger) => ServiceSupervisor[];
  /**
   * The environment workers are started from: their declared secrets come from it, and its
   * variables override this host's configuration for the settings they declare. The host's own
   * environment (already part of `config`) by default.
   */
  env?: NodeJS.ProcessEnv;
}

/**
 * The embedded "Modal-style" worker host: gateway, pools, deploy API and the deployment history
 * in `<data>/host.sqlite`. It comes back with the last active deployment after a restart.
 */
export async function startHost(
  config: AtolyeConfig,
  options: HostOptions = {},
): Promise<RunningHost> {
  const release = resolveRelease(config);
  const logging = options.logging ?? initLogging(config, { service: 'host', release });
  if (options.sentry ?? true) initSentry(config, { service: 'host' });
  const logger = hostLogger(logging, { level: config.logging.level });
  const dataDir = resolveFromRoot(config.storage.dataDir);
  const store = new DeploymentStore(path.join(dataDir, 'host.sqlite'));
  // Declared secrets may come from files and --set flags too, unless the environment names them.
  const workerEnv = {
    ...configEnvironment(config),
    ...(options.env ?? process.env),
    // Derived, never configured: the `tools` function checks approvals the orchestrator signed.
    [APPROVAL_KEY_ENV]: approvalKeyFrom(config.security.signingSecret),
  };
  // Resolved once: each pool hands its workers exactly the settings its function declares.
  const settingsConfig = options.env === undefined ? config : withEnvironment(config, options.env);
  const compileCacheDir = path.join(dataDir, 'compile-cache');
  const registry = new Registry();
  // With one Postgres database for several hosts, a step retried on another host gets the reply
  // of the host that ran it (SQLite means one machine: the host's memory is enough).
  const sharedReplies =
    config.storage.url === '' ? undefined : postgresReplies({ url: config.storage.url, logger });
  const deployer = new Deployer({
    registry,
    log: store,
    bundleDir: path.join(dataDir, 'bundles'),
    logger,
    createPool: (spec) =>
      new FunctionPool(spec, {
        stamp: { env: config.env, release },
        logger,
        env: workerEnv,
        settings: resolveSettings(settingsConfig, spec.settings ?? []),
        compileCacheDir,
      }),
  });
  const gateway = createGateway({
    config,
    registry,
    logger,
    idempotency: { shared: sharedReplies },
    metrics: new HostMetrics({
      pools: () => registry.list(),
      logDir: resolveFromRoot(config.logging.dir),
    }),
    // The host runs the tools step (the sandbox) and the model-calling steps (the model).
    readiness: serviceChecks(config, {
      own: { 'sandbox:available': () => sandboxCheck(config) },
      model: true,
    }),
  });
  let services: ServiceSupervisor[] = [];
  const startedAt = new Date();

  let closing: Promise<void> | undefined;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.system.info('host stopping');
      await Promise.all(services.map((service) => service.stop()));
      // First let a running deploy finish and refuse further ones, so every pool that will ever
      // be registered is there when the gateway drains them.
      await deployer.close();
      await gateway.close();
      await deployer.settled();
      store.close();
      await sharedReplies?.close();
      removeHostState(config);
      logger.system.info('host stopped');
      await flushSentry();
      if (!options.logging) await logging.close();
      resolveClosed();
    })();
    return closing;
  };

  let address: GatewayAddress | undefined;
  let restoreError: string | undefined;
  addAdminRoutes(gateway, {
    adminToken: config.security.adminToken,
    deployer,
    registry,
    history: () => store.history(),
    services: () => services,
    describe: () => ({
      pid: process.pid,
      url: address?.url,
      env: config.env,
      release,
      startedAt: startedAt.toISOString(),
      uptimeS: Math.round((Date.now() - startedAt.getTime()) / 1000),
      deployment: store.active()?.id,
      // Moot once a later deploy runs functions again.
      ...(restoreError && registry.list().length === 0 ? { restoreError } : {}),
    }),
    shutdown: () => void close(),
  });

  try {
    const restored = await deployer.restore();
    if (restored)
      logger.system.info(`restored deployment ${restored.deploymentId} (${restored.version})`);
  } catch (error) {
    restoreError = `could not restore the last deployment: ${errorMessage(error)}; deploy again`;
    logger.system.error(`could not restore the last deployment: ${errorMessage(error)}`, {
      err: error,
    });
  }
  const port = options.port ?? config.host.port;
  try {
    address = await gateway.listen(port, config.host.bind);
  } catch (error) {
    // Stop the restored workers: they would outlive a failed start in a process that goes on
    // (a test, an embedding program), serving nobody.
    await close();
    throw new AtolyeError(
      'HOST_LISTEN_FAILED',
      `the worker host cannot listen on ${config.host.bind}:${port}: ${errorMessage(error)} (set host.port or ATOLYE_HOST_PORT; 0 picks a free port)`,
      { cause: error },
    );
  }
  services = options.services?.(address.url, logger) ?? [];
  for (const service of services) service.start();
  writeHostState(config, {
    pid: process.pid,
    url: address.url,
    startedAt: startedAt.toISOString(),
  });
  logger.system.info(`host listening on ${address.url}`, { pid: process.pid });
  return { address, deployer, registry, close, closed };
}
