import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isErrorCode, statusOfCode } from '../../error-codes/index.js';
import { errorMessage, isAtolyeError } from '../../errors.js';
import type { AtolyeConfig } from '../../config/schema.js';
import { healthz, readyz, type HostReadiness } from './health.js';
import { HttpError, JSON_TYPE, errorBody, givenRequestId, readBody, send } from './http.js';
import { IdempotencyCache, type IdempotencyOptions } from './idempotency.js';
import { FN_PREFIX, createInvokeRoute, type Reply } from './invoke-route.js';
import { silentLogger, type HostLogger } from './log.js';
import { HostMetrics } from './metrics.js';
import {
  HOST_SERVER_TIMEOUTS,
  limitServer,
  serverOptions,
  type ServerTimeouts,
} from '../server-timeouts.js';
import type { Registry } from './registry.js';

/** What a route added by another module receives besides the request and response. */
export interface RouteContext {
  requestId: string;
  path: string;
  query: URLSearchParams;
  /** Capture groups when the route matched by a regular expression. */
  params: string[];
  readBody(limitBytes?: number): Promise<Buffer>;
  /** Replies with JSON (and the request id header). */
  json(status: number, value: unknown, headers?: Record<string, string>): void;
}

export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
) => void | Promise<void>;

/** A path prefix (matched on segment boundaries), a regular expression, or a predicate. */
export type RouteMatcher = string | RegExp | ((path: string) => boolean);

export interface GatewayOptions {
  config: Pick<AtolyeConfig, 'security'> & Partial<Pick<AtolyeConfig, 'host'>>;
  registry: Registry;
  metrics?: HostMetrics;
  logger?: HostLogger;
  /** Largest request body accepted (6 MB, Lambda's synchronous payload limit, by default). */
  bodyLimitBytes?: number;
  idempotency?: IdempotencyOptions;
  /** How long close() waits for replies in flight after the pools drained. */
  closeTimeoutMs?: number;
  /** Host-level readiness checks /readyz reports beside each function's. */
  readiness?: HostReadiness;
  /** How long the server waits on slow clients; HOST_SERVER_TIMEOUTS by default. */
  timeouts?: ServerTimeouts;
}

export interface GatewayAddress {
  host: string;
  port: number;
  url: string;
}

export interface Gateway {
  readonly server: Server;
  readonly metrics: HostMetrics;
  /** Adds a route; the built-in ones (/fn/, /healthz, /readyz, /metrics) are matched first. */
  route(method: string, matcher: RouteMatcher, handler: RouteHandler): void;
  listen(port?: number, host?: string): Promise<GatewayAddress>;
  /** Refuses new calls, lets running ones finish, drains every pool, then closes the server. */
  close(): Promise<void>;
}

interface Route {
  method: string;
  match(path: string): string[] | undefined;
  handler: RouteHandler;
}

export const DEFAULT_BODY_LIMIT = 6 * 1024 * 1024;

/** The worker host's HTTP front: a plain node:http server, kept lean for the per-call overhead. */
export function createGateway(options: GatewayOptions): Gateway {
  const { registry, config } = options;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? new HostMetrics({ pools: () => registry.list() });
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const routes: Route[] = [];
  const invoke = createInvokeRoute({
    signingSecret: config.security.signingSecret,
    registry,
    metrics,
    logger,
    idempotency: new IdempotencyCache<Reply>(options.idempotency),
    bodyLimitBytes,
  });
  let closing: Promise<void> | undefined;
  let active = 0;
  let idle: (() => void) | undefined;

  if (!config.security.signingSecret) {
    logger.system.warn(
      'security.signingSecret is empty: function calls are signed with an empty key',
    );
  }

  const timeouts = serverOptions(options.timeouts ?? HOST_SERVER_TIMEOUTS, 'the worker host');
  const server = createServer(timeouts, (req, res) => {
    active += 1;
    res.once('close', () => {
      active -= 1;
      if (active === 0) idle?.();
    });
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark === -1 ? url : url.slice(0, mark);
    const requestId = givenRequestId(req) ?? randomUUID();
    if (closing) res.setHeader('connection', 'close');
    const handled = path.startsWith(FN_PREFIX)
      ? invoke(req, res, path, requestId)
      : logger.withContext({ requestId }, () => dispatch(req, res, path, url, mark, requestId));
    handled
      .catch((error: unknown) => fail(res, error, requestId, path))
      // Even the error reply failed: drop the connection. Nothing may escape a request into the
      // event loop, where it would end the host and every call in flight with it.
      .catch((error: unknown) => {
        res.destroy();
        logger.system.error(`the reply to ${path} failed: ${errorMessage(error)}`, {
          requestId,
          err: error,
        });
      });
  });
  limitServer(server);

  async function dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    url: string,
    mark: number,
    requestId: string,
  ): Promise<void> {
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (get && path === '/healthz') return healthz(res, requestId);
    if (get && path === '/readyz')
      return readyz(res, requestId, registry, closing !== undefined, options.readiness);
    if (get && path === '/metrics') {
      const text = await metrics.text();
      return send(res, 200, text, {
        'content-type': metrics.contentType,
        'x-request-id': requestId,
      });
    }
    for (const route of routes) {
      if (route.method !== '*' && route.method !== req.method) continue;
      const params = route.match(path);
      if (!params) continue;
      const query = new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1));
      return route.handler(req, res, {
        requestId,
        path,
        query,
        params,
        readBody: (limit = bodyLimitBytes) => readBody(req, limit),
        json: (status, value, headers = {}) =>
          send(res, status, JSON.stringify(value), {
            'content-type': JSON_TYPE,
            'x-request-id': requestId,
            ...headers,
          }),
      });
    }
    throw new HttpError('ROUTE_NOT_FOUND', `no route for ${req.method} ${path}`);
  }

  /**
   * Answers an error with its code's status from the catalogue; anything else (an error without
   * a catalogue code) is a 500 INTERNAL, not retryable. A refusal is an info line, a 500 an error
   * line.
   */
  function fail(res: ServerResponse, error: unknown, requestId: string, path: string): void {
    const known = isAtolyeError(error) && isErrorCode(error.code) ? error : undefined;
    const status = known ? statusOfCode(known.code) : 500;
    const code = known?.code ?? 'INTERNAL';
    const message = known?.message ?? `the host failed to handle ${path}: ${errorMessage(error)}`;
    if (status === 500) {
      logger.system.error(message, { requestId, err: error });
    } else {
      metrics.reject(code);
      logger.system.info(`refused ${path}: ${status} ${code}`, {
        requestId,
        status,
        code,
        reason: message,
      });
    }
    const headers: Record<string, string> = {
      'content-type': JSON_TYPE,
      'x-request-id': requestId,
      ...(error instanceof HttpError ? error.headers : {}),
    };
    send(res, status, errorBody(code, message, known?.retryable ?? false), headers);
    if (headers.connection === 'close') res.once('finish', () => res.socket?.destroy());
  }

  return {
    server,
    metrics,
    route(method, matcher, handler) {
      routes.push({ method: method.toUpperCase(), match: toMatch(matcher), handler });
    },
    listen(port = config.host?.port ?? 0, host = config.host?.bind ?? '127.0.0.1') {
      return new Promise<GatewayAddress>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({
            host: address.address,
            port: address.port,
            url: `http://${shown}:${address.port}`,
          });
        });
      });
    },
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.all(registry.list().map((pool) => pool.drain()));
        if (active > 0) {
          await new Promise<void>((resolve) => {
            idle = resolve;
            setTimeout(resolve, options.closeTimeoutMs ?? 10_000).unref();
          });
        }
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

function toMatch(matcher: RouteMatcher): (path: string) => string[] | undefined {
  if (typeof matcher === 'function') return (path) => (matcher(path) ? [] : undefined);
  if (matcher instanceof RegExp) {
    return (path) => {
      const found = matcher.exec(path);
      return found ? found.slice(1).map((group) => group ?? '') : undefined;
    };
  }
  const prefix = matcher.endsWith('/') ? matcher.slice(0, -1) : matcher;
  return (path) =>
    path === prefix || path.startsWith(`${prefix}/`) || prefix === '' ? [] : undefined;
}
