import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type * as z from 'zod';
import type { AtolyeConfig } from '../../config/index.js';
import { AtolyeError, errorMessage } from '../../errors.js';
import { log, withLogContext, type Logging } from '../../logging/index.js';
import { acceptedRequestId } from '../../logging/request-id.js';
import type { ActiveAlert } from '../../monitoring/alerts.js';
import type { CronScheduler } from '../crons.js';
import type { Executor } from '../executor.js';
import type { RunEvents } from '../run-events.js';
import type { RunsStore } from '../runs-store.js';
import type { Caller } from './access.js';
import { requireApiKey, type KeyVerifier } from './auth.js';
import { canonicalContentType } from './media-type.js';
import { allowedMethods } from './methods.js';
import { addAssistantRoutes } from './routes/assistants.js';
import { addCronRoutes } from './routes/crons.js';
import { addDashboardRoutes } from './routes/dashboard.js';
import { addDocsRoutes } from './routes/docs.js';
import { addFileRoutes } from './routes/files.js';
import { addHealthRoutes, type ReadinessChecks } from './routes/health.js';
import { addMetricsRoute } from './routes/metrics.js';
import { addRunRoutes } from './routes/runs.js';
import { addStatelessRunRoutes } from './routes/stateless-runs.js';
import { addStreamRoutes } from './routes/stream.js';
import { addThreadStateRoutes } from './routes/thread-state.js';
import { addThreadRoutes } from './routes/threads.js';
import { addWorkspaceRoutes } from './routes/workspace.js';
import { ThreadWorkspaces, type CallCheckout } from '../thread-workspace.js';

export interface ApiDeps {
  config: AtolyeConfig;
  store: RunsStore;
  events: RunEvents;
  executor: Executor;
  /** Fires the crons; the cron routes create, change and delete them through it. */
  crons: CronScheduler;
  keys: KeyVerifier;
  /** The root of every thread's workspace (`workspace.root`). */
  workspaceRoot: string;
  /** Import, diff, patch and push; built from `workspaceRoot` (without git clones) when absent. */
  workspaces?: ThreadWorkspaces;
  /** Calls the `checkout` function, for clones and pushes; none without a worker host. */
  checkout?: CallCheckout;
  logging?: Logging;
  /** Readiness checks beyond the process answering; none by default. */
  readiness?: ReadinessChecks;
  /** The worker host's URL, for the dashboard's system page. */
  hostUrl?: string;
  /** What `GET /metrics` serves (Prometheus text); no route without it. */
  metrics?: { contentType: string; text(): Promise<string> };
  /** The embedded alerts firing now (the dashboard shows them). */
  alerts?: () => ActiveAlert[];
}

/** What the routes see: the deps with every default filled in. */
export type ApiRouteDeps = ApiDeps & { workspaces: ThreadWorkspaces };

export interface ApiEnv {
  Variables: {
    keyName: string;
    /** The verified key of the request (set by auth.ts on every keyed route). */
    caller: Caller;
    /** Set for a refusal whose request line is left out (a rate-limited flood of bad keys). */
    unlogged?: boolean;
    requestId: string;
    threadId?: string;
    runId?: string;
  };
}

export type ApiApp = OpenAPIHono<ApiEnv>;

/** Paths that answer without an API key (health for probes, the API description, the UI). */
const OPEN_PATHS = new Set([
  '/healthz',
  '/readyz',
  '/openapi.json',
  '/docs',
  '/',
  '/dashboard/main.js',
  '/dashboard/base.css',
  '/dashboard/views.css',
]);

/**
 * The run API as a Hono app (Web-standard Request/Response; the Node adapter lives in
 * service.ts). Every request gets an id, one `user_interactions` line and JSON errors; bad input
 * is a 400 naming each bad field and never reaches a handler.
 */
export function createApiApp(options: ApiDeps): ApiApp {
  const deps: ApiRouteDeps = {
    ...options,
    workspaces:
      options.workspaces ??
      new ThreadWorkspaces({
        config: options.config,
        store: options.store,
        root: options.workspaceRoot,
        checkout: options.checkout,
      }),
  };
  const interactions = (deps.logging ?? { log }).log('user_interactions');
  const app: ApiApp = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.use(async (c, next) => {
    const requestId = acceptedRequestId(c.req.header('x-request-id')) ?? randomUUID();
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    const started = performance.now();
    await withLogContext({ requestId }, next);
    if (c.get('unlogged')) return;
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status,
      durationMs: Math.round(performance.now() - started),
      key: c.get('keyName'),
      threadId: c.get('threadId') ?? c.req.param('thread_id'),
      runId: c.get('runId') ?? c.req.param('run_id'),
    };
    withLogContext({ requestId }, () => {
      if (status >= 500) interactions.error(`${c.req.method} ${c.req.path} ${status}`, fields);
      else interactions.info(`${c.req.method} ${c.req.path} ${status}`, fields);
    });
  });
  const limitBody = bodyLimit({
    maxSize: deps.config.api.bodyLimitBytes,
    onError: (c) =>
      errorResponse(
        c,
        413,
        'BODY_TOO_LARGE',
        `the request body is larger than ${deps.config.api.bodyLimitBytes} bytes (api.bodyLimitBytes)`,
      ),
  });
  app.use(canonicalContentType);
  // An import streams to disk under its own limit (workspace.importMaxArchiveBytes).
  app.use((c, next) => (IMPORT_PATH.test(c.req.path) ? next() : limitBody(c, next)));
  const authorize = requireApiKey(
    deps.keys,
    {
      perMinute: deps.config.api.rateLimitPerMinute,
      failuresPerMinute: deps.config.api.authFailuresPerMinute,
    },
    interactions,
  );
  app.use(async (c, next) => {
    const open =
      OPEN_PATHS.has(c.req.path) ||
      c.req.path.startsWith('/docs/') ||
      (c.req.path === '/metrics' && !deps.config.api.protectMetrics);
    if (open) return next();
    return authorize(c, next);
  });

  addHealthRoutes(app, deps.readiness ?? (async () => ({})));
  if (deps.metrics) addMetricsRoute(app, deps.metrics);
  addApiRoutes(app, deps);
  addDocsRoutes(app);
  addDashboardRoutes(app, deps);

  const methodsOn = allowedMethods(app);
  app.notFound((c) => {
    const allowed = methodsOn(c.req.path);
    // A handler's own c.notFound() (an unknown asset) comes here too: its method is allowed.
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      c.header('allow', allowed.join(', '));
      return errorResponse(
        c,
        405,
        'METHOD_NOT_ALLOWED',
        `${c.req.path} does not take ${c.req.method}; use ${allowed.join(', ')}`,
      );
    }
    return errorResponse(
      c,
      404,
      'NOT_FOUND',
      `no route ${c.req.method} ${c.req.path}; see GET /docs`,
    );
  });
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      // Hono's own refusals, e.g. a body that is not JSON.
      const code = error.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
      return errorResponse(c, error.status, code, error.message);
    }
    if (error instanceof AtolyeError) {
      const status = STATUS_OF_CODE[error.code];
      if (status !== undefined) {
        return errorResponse(c, status, error.code, error.message, error.retryable);
      }
    }
    // An error-level line goes to `errors` and Sentry with the request's context.
    interactions.error(`request failed: ${errorMessage(error)}`, {
      err: error,
      route: c.req.routePath,
    });
    return errorResponse(c, 500, 'INTERNAL', `the request failed: ${errorMessage(error)}`, true);
  });
  return app;
}

const IMPORT_PATH = /^\/threads\/[^/]+\/import$/;

/** The documented routes; they touch `deps` only when a request comes. */
export function addApiRoutes(app: ApiApp, deps: ApiRouteDeps): void {
  addThreadRoutes(app, deps);
  addThreadStateRoutes(app, deps);
  addRunRoutes(app, deps);
  addStreamRoutes(app, deps);
  addFileRoutes(app, deps);
  addWorkspaceRoutes(app, deps);
  addAssistantRoutes(app, deps);
  addStatelessRunRoutes(app, deps);
  addCronRoutes(app, deps);
}

/** Error codes a client caused, and the status that says so. */
const STATUS_OF_CODE: Record<string, ContentfulStatusCode> = {
  API_KEY_REVOKED: 401,
  ADMIN_REQUIRED: 403,
  THREAD_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  ASSISTANT_NOT_FOUND: 404,
  CRON_NOT_FOUND: 404,
  FILE_NOT_FOUND: 404,
  THREAD_EXISTS: 409,
  THREAD_BUSY: 409,
  THREAD_INTERRUPTED: 409,
  CHECKPOINT_NOT_FOUND: 404,
  THREAD_NOT_INTERRUPTED: 409,
  ASSISTANT_EXISTS: 409,
  ASSISTANT_BUILT_IN: 409,
  RUN_FINISHED: 409,
  RUN_ACTIVE: 409,
  PATH_REFUSED: 400,
  IS_DIRECTORY: 400,
  RUN_INVALID: 400,
  INVALID_REQUEST: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WEBHOOK_REFUSED: 400,
  IMPORT_REFUSED: 400,
  IMPORT_TOO_LARGE: 413,
  WORKSPACE_NOT_EMPTY: 409,
  RUN_DIFF_UNAVAILABLE: 409,
  GIT_URL_REFUSED: 400,
  GIT_REF_NOT_FOUND: 400,
  GIT_CLONE_FAILED: 400,
  GIT_AUTH_FAILED: 400,
  GIT_BRANCH_INVALID: 400,
  GIT_BRANCH_EXISTS: 409,
  GIT_NO_ORIGIN: 409,
  NOTHING_TO_PUSH: 409,
  GIT_PUSH_FAILED: 400,
  GIT_UNAVAILABLE: 503,
  IMPORT_FAILED: 500,
  THREAD_REMOVAL_INCOMPLETE: 500,
};

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  retryable = false,
): Response {
  return c.json({ error: { code, message, retryable } }, status);
}

function validationHook(
  result: { success: boolean; error?: z.ZodError; target: string },
  c: Context,
): Response | undefined {
  if (result.success || !result.error) return undefined;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : result.target;
    return `${where}: ${issue.message}`;
  });
  return errorResponse(
    c,
    400,
    'INVALID_REQUEST',
    `invalid ${result.target}: ${problems.join('; ')}`,
  );
}

/** Sets the ids the `user_interactions` line names, once a handler knows them. */
export function noteIds(c: Context<ApiEnv>, ids: { threadId?: string; runId?: string }): void {
  if (ids.threadId) c.set('threadId', ids.threadId);
  if (ids.runId) c.set('runId', ids.runId);
}
