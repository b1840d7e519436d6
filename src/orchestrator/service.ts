import type { Server } from 'node:http';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { AtolyeConfig } from '../config/index.js';
import { resolveFromRoot } from '../config/paths.js';
import { resolveRelease } from '../config/release.js';
import { AtolyeError, errorCodeOf, errorMessage } from '../errors.js';
import { initLogging, type Logging } from '../logging/index.js';
import type { LogRecord } from '../logging/record.js';
import { serviceChecks } from '../monitoring/health-checks.js';
import { flushSentry, initSentry } from '../monitoring/index.js';
import type { ReadinessCheck } from '../monitoring/readiness.js';
import { API_KEY_MIGRATIONS, ApiKeyStore, apiKeysFile } from '../store/api-keys.js';
import { sql } from '../store/database.js';
import { openStorage } from '../store/storage.js';
import { createApiApp } from './api/app.js';
import { RATE_LIMIT_MIGRATIONS } from './api/auth.js';
import type { ApiApp, ApiDeps } from './api/types.js';
import { createRun } from './api/run-service.js';
import { toApiRun } from './api/serialize.js';
import { CronScheduler } from './crons.js';
import { CRON_MIGRATIONS, CronsStore, cronsFile } from './crons-store.js';
import { createExecutor, type Executor, type ExecutorOptions } from './executor.js';
import { startAlerting, type Alerting } from './alerting.js';
import { OrchestratorMetrics } from './metrics.js';
import { RunEvents } from './run-events.js';
import { MIGRATIONS } from './run-records.js';
import { RunsStore, runsFile } from './runs-store.js';
import { removeThread } from './thread-removal.js';
import { ThreadWorkspaces, type CallCheckout } from './thread-workspace.js';
import { deliverWebhook } from './webhook.js';
import { webhookPolicyFor } from './webhook-policy.js';
import { rawErrorAnswer, trackConnections } from '../runtime/connection-drain.js';
import { takeHandedConnections, type HandedConnections } from '../runtime/handed-connections.js';
import { hostUrls } from '../runtime/host-pool.js';
import { limitServer, serverOptions } from '../runtime/server-timeouts.js';
import { createInvoker } from '../runtime/invoke.js';
import type { CheckoutOutput } from '../workspace/remote.js';

export interface OrchestratorOptions {
  /** Overrides api.port (0 = any free port). */
  port?: number;
  /**
   * Serve the connections the worker host hands over IPC instead of listening: the host listens
   * on api.bind and `port` and holds the clients while this process restarts
   * (runtime/handed-connections.ts).
   */
  handed?: boolean;
  /** Where the worker hosts serve the step functions (one URL or several, comma-separated); host.url otherwise. */
  hostUrl?: string;
  /** Logging to use instead of initialising the process's own (tests share one). */
  logging?: Logging;
  /**
   * Set up Sentry reporting for this process from `sentry.*` (default true; without a DSN it
   * reports nothing). Independent of `logging`: a caller that shares its logging still says here
   * whether this process reports errors.
   */
  sentry?: boolean;
  /** Send log records here instead of writing the channel files (the host writes them). */
  forwardLogs?: (record: LogRecord) => void;
  /** Overrides of the step retry policy, e.g. short intervals in tests. */
  retry?: ExecutorOptions['retry'];
  /** The build whose manifest declares the steps' retries; `dist/` of the project otherwise. */
  distDir?: string;
}

export interface RunningOrchestrator {
  url: string;
  app: ApiApp;
  executor: Executor;
  keys: ApiKeyStore;
  alerting: Alerting;
  /** Stops taking requests and leaves unfinished runs for the next start to resume. */
  close(): Promise<void>;
}

/**
 * The orchestrator service: the run API over HTTP, the run executor that chains the step
 * functions on the worker host, and the stores both share. On start it resumes every run a
 * previous process left unfinished.
 */
export async function startOrchestrator(
  config: AtolyeConfig,
  options: OrchestratorOptions = {},
): Promise<RunningOrchestrator> {
  // Checked first: a bad pair of timeouts must not leave stores open behind it.
  const httpOptions = serverOptions(config.api, 'api.headersTimeoutMs and api.requestTimeoutMs');
  const release = resolveRelease(config);
  const logging =
    options.logging ??
    initLogging(config, { service: 'orchestrator', release, forward: options.forwardLogs });
  if (options.sentry ?? true) initSentry(config, { service: 'orchestrator' });
  const system = logging.log('system');
  const dataDir = resolveFromRoot(config.storage.dataDir);
  // Every host takes step calls (the executor spreads them); the first also answers for the
  // hosts as a whole in readiness, alerts and the dashboard.
  const hostList =
    options.hostUrl ?? (config.host.url || `http://${config.host.bind}:${config.host.port}`);
  const hostUrl = hostUrls(hostList)[0] ?? hostList;
  const webhooks = webhookPolicyFor(config, hostUrl);

  const storage = openStorage({
    url: config.storage.url,
    poolSize: config.storage.poolSize,
    onIdleError: (message) => system.warn(message),
  });
  let store: RunsStore;
  let cronsStore: CronsStore;
  let keys: ApiKeyStore;
  try {
    store = new RunsStore(await storage.open('runs', runsFile(dataDir), MIGRATIONS));
    cronsStore = new CronsStore(await storage.open('crons', cronsFile(dataDir), CRON_MIGRATIONS));
    keys = new ApiKeyStore(
      await storage.open('api-keys', apiKeysFile(dataDir), API_KEY_MIGRATIONS),
    );
    if (storage.pool) await storage.open('rate-limits', '', RATE_LIMIT_MIGRATIONS);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const events = new RunEvents(store.database, config.orchestrator.pollMs);
  const metrics = new OrchestratorMetrics();
  const workspaces = new ThreadWorkspaces({
    config,
    store,
    root: resolveFromRoot(config.workspace.root),
    checkout: checkoutCaller(config, hostUrl),
  });
  const executor = createExecutor({
    config,
    snapshots: workspaces,
    hostUrl: hostList,
    signingSecret: config.security.signingSecret,
    dataDir,
    store,
    // The runs' state updates carry the commands each step ran: the sandbox durations.
    events: {
      append: async (runId, event, data) => {
        await events.append(runId, event, data);
        if (event === 'updates') metrics.observeUpdate(data);
      },
    },
    logging,
    retry: options.retry,
    distDir: options.distDir,
    limits: {
      maxIterations: config.agent.maxIterations,
      maxTokens: config.agent.maxTokens || undefined,
      maxCostUsd: config.agent.maxCostUsd || undefined,
      runTimeoutMs: config.agent.runTimeoutMs || undefined,
    },
    onStep: (record, runId) => metrics.observeStep(record, runId),
    onRunEnd: (run) => {
      metrics.observeRunEnd(run);
      const outcome = logging.log('user_interactions');
      outcome.info(`run ${run.status}`, {
        threadId: run.threadId,
        runId: run.runId,
        status: run.status,
        stopReason: run.stopReason,
        task: run.task.slice(0, config.api.logTaskChars),
        ...run.usage,
      });
      if (run.webhook) void deliverWebhook(run.webhook, toApiRun(run), system, webhooks);
    },
  });

  const alerting = startAlerting({ config, hostUrl, metrics, logger: system });

  // The sandbox and the model are the host's business: its functions use them, not this process.
  const sharedChecks = serviceChecks(config);
  // A firing starts its run as a request does, through the API's createRun.
  const crons = new CronScheduler({
    crons: cronsStore,
    runs: store,
    startRun: (caller, threadId, body) => createRun(apiDeps, caller, threadId, body),
    waitFor: (runId) => executor.waitFor(runId),
    removeThread: (threadId) => removeThread(apiDeps, threadId),
    logger: system,
  });
  const apiDeps: ApiDeps = {
    config,
    store,
    events,
    executor,
    crons,
    keys,
    sharedPool: storage.pool,
    workspaceRoot: resolveFromRoot(config.workspace.root),
    workspaces,
    logging,
    hostUrl,
    metrics,
    alerts: () => alerting.active(),
    readiness: async () => ({
      ...(await sharedChecks()),
      'store:responsive': await storeCheck(store),
      'host:reachable': await hostCheck(hostUrl),
    }),
  };
  const app = createApiApp(apiDeps);

  const server = createAdaptorServer({ fetch: app.fetch, serverOptions: httpOptions });
  limitServer(server as Server);
  const connections = trackConnections(server as Server);
  const port = options.port ?? config.api.port;
  let handed: HandedConnections | undefined;
  try {
    if (options.handed) handed = takeHandedConnections(server as Server);
    else await listen(server, port, config.api.bind);
  } catch (error) {
    alerting.stop();
    await executor.close();
    await storage.close();
    throw new AtolyeError(
      'API_LISTEN_FAILED',
      `the orchestrator cannot listen on ${config.api.bind}:${port}: ${errorMessage(error)} (set api.port or ATOLYE_API_PORT; 0 picks a free port)`,
      { cause: error },
    );
  }
  const address = server.address();
  const url = `http://${config.api.bind}:${typeof address === 'object' && address ? address.port : port}`;
  const resumed = await executor.resumeUnfinished();
  crons.start();
  system.info(`orchestrator listening on ${url}`, { hostUrl, resumed, pid: process.pid });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      system.info('orchestrator stopping');
      // First: no firing may start a run on an executor that is closing.
      await crons.stop();
      // No new connection from now on (the host holds them for the next process); the requests
      // in progress get their answers, and streams and long waits are cut after the grace.
      if (handed) handed.stopTaking();
      else server.close();
      await connections.drain(
        IN_FLIGHT_GRACE_MS,
        rawErrorAnswer(
          'ORCHESTRATOR_UNAVAILABLE',
          'the run API stopped before it could answer this request (it restarts or stops); send it again',
          1,
        ),
      );
      // Stops Node's timers over the handed connections (set up as if it listened).
      if (handed) server.close();
      alerting.stop();
      await executor.close();
      await storage.close();
      system.info('orchestrator stopped');
      await flushSentry();
      if (!options.logging) await logging.close();
    })();
    return closing;
  };
  return { url, app, executor, keys, alerting, close };
}

/** How long a stopping orchestrator lets the requests in progress finish before it cuts them. */
const IN_FLIGHT_GRACE_MS = 1_000;

function listen(server: ServerType, port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function storeCheck(store: RunsStore): Promise<ReadinessCheck> {
  try {
    await store.database.first(sql`SELECT 1`);
    return { status: 'pass' };
  } catch (error) {
    return { status: 'fail', output: errorMessage(error) };
  }
}

/** The `checkout` function as a signed call: clones and pushes are never retried (not idempotent). */
function checkoutCaller(config: AtolyeConfig, hostUrl: string): CallCheckout {
  const invoke = createInvoker({
    baseUrl: hostUrl,
    secret: config.security.signingSecret,
    retries: 0,
  });
  return async (threadId, input) => {
    try {
      const result = await invoke<CheckoutOutput>('checkout', input, {
        meta: { threadId, step: 'checkout' },
        timeoutMs: config.git.timeoutMs + 30_000,
      });
      return result.output;
    } catch (error) {
      // The function's own refusals (GIT_*, WORKSPACE_NOT_EMPTY) pass as they are; the host's
      // (not deployed, unreachable, overloaded) say the clone could not be tried.
      const code = errorCodeOf(error);
      if (code !== undefined && /^(GIT_|WORKSPACE_|NOTHING_TO_PUSH)/.test(code)) throw error;
      throw new AtolyeError(
        'GIT_UNAVAILABLE',
        code === 'FUNCTION_NOT_FOUND'
          ? 'the checkout function is not deployed on the worker host: run `npm run deploy`'
          : `the checkout function could not be reached: ${errorMessage(error)}`,
        { retryable: code !== 'FUNCTION_NOT_FOUND', cause: error },
      );
    }
  };
}

async function hostCheck(hostUrl: string): Promise<ReadinessCheck> {
  try {
    const response = await fetch(`${hostUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok
      ? { status: 'pass' }
      : { status: 'fail', output: `the worker host answered ${response.status}` };
  } catch (error) {
    return {
      status: 'fail',
      output: `the worker host at ${hostUrl} is unreachable: ${errorMessage(error)}`,
    };
  }
}
