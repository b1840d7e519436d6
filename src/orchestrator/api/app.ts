import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type * as z from 'zod';
import { log, withLogContext } from '../../logging/index.js';
import { acceptedRequestId } from '../../logging/request-id.js';
import { requireApiKey } from './auth.js';
import { answerError } from './error-handler.js';
import { canonicalContentType } from './media-type.js';
import { allowedMethods } from './methods.js';
import { errorResponse } from './respond.js';
import { addAssistantRoutes } from './routes/assistants.js';
import { addCronRoutes } from './routes/crons.js';
import { addDashboardRoutes } from './routes/dashboard.js';
import { addDocsRoutes } from './routes/docs.js';
import { addFileRoutes } from './routes/files.js';
import { addHealthRoutes } from './routes/health.js';
import { addMetricsRoute } from './routes/metrics.js';
import { addRunRoutes } from './routes/runs.js';
import { addStatelessRunRoutes } from './routes/stateless-runs.js';
import { addStreamRoutes } from './routes/stream.js';
import { addThreadStateRoutes } from './routes/thread-state.js';
import { addThreadRoutes } from './routes/threads.js';
import { addWorkspaceRoutes } from './routes/workspace.js';
import type { ApiApp, ApiDeps, ApiEnv, ApiRouteDeps } from './types.js';
import { ThreadWorkspaces } from '../thread-workspace.js';

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
  '/favicon.ico',
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
      const line = `${c.req.method} ${c.req.path} ${status}`;
      // One failure, one error (and one Sentry event): the handler's line carries the error.
      if (status >= 500 && c.get('failureLogged')) interactions.warn(line, fields);
      else if (status >= 500) interactions.error(line, fields);
      else interactions.info(line, fields);
    });
  });
  const limitBody = bodyLimit({
    maxSize: deps.config.api.bodyLimitBytes,
    onError: (c) =>
      errorResponse(
        c,
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
      pool: deps.sharedPool,
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
  // Browsers ask for it on every page (the API reference too): nothing, rather than a 401.
  app.get('/favicon.ico', (c) => c.body(null, 204));

  const methodsOn = allowedMethods(app);
  app.notFound((c) => {
    const allowed = methodsOn(c.req.path);
    // A handler's own c.notFound() (an unknown asset) comes here too: its method is allowed.
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      c.header('allow', allowed.join(', '));
      return errorResponse(
        c,
        'METHOD_NOT_ALLOWED',
        `${c.req.path} does not take ${c.req.method}; use ${allowed.join(', ')}`,
      );
    }
    return errorResponse(c, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}; see GET /docs`);
  });
  app.onError(answerError(interactions));
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

function validationHook(
  result: { success: boolean; error?: z.ZodError; target: string },
  c: Context,
): Response | undefined {
  if (result.success || !result.error) return undefined;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : result.target;
    return `${where}: ${issue.message}`;
  });
  return errorResponse(c, 'INVALID_REQUEST', `invalid ${result.target}: ${problems.join('; ')}`);
}
