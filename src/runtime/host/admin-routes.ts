import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { errorMessage } from '../../errors.js';
import type { Deployer } from './deployer.js';
import type { Gateway } from './gateway.js';
import { HttpError, headerValue } from './http.js';
import type { Registry } from './registry.js';
import type { ServiceSupervisor } from './services.js';

export interface AdminOptions {
  adminToken: string;
  deployer: Deployer;
  registry: Registry;
  history(): unknown[];
  services?: () => ServiceSupervisor[];
  /** Facts about the host itself for /admin/status (pid, url, version, …). */
  describe(): Record<string, unknown>;
  /** Asked by POST /admin/shutdown; the host stops after replying. */
  shutdown(): void;
}

/**
 * The deploy and admin API, behind `Authorization: Bearer <security.adminToken>`:
 * POST /admin/deployments { manifest, distDir }, POST /admin/rollback, GET /admin/deployments,
 * GET /admin/status, POST /admin/services/restart (after a deploy: new code), POST /admin/shutdown.
 */
export function addAdminRoutes(gateway: Gateway, options: AdminOptions): void {
  const guard = (req: IncomingMessage): void => authorize(req, options.adminToken);

  gateway.route('POST', '/admin/deployments', async (req, _res, ctx) => {
    guard(req);
    const body = parseJson(await ctx.readBody(1024 * 1024));
    const { manifest, distDir } = body;
    if (typeof distDir !== 'string' || distDir === '' || manifest === undefined) {
      throw new HttpError(
        'DEPLOY_REQUEST_INVALID',
        'body must be { "manifest": {...}, "distDir": "<folder of manifest.json>" }',
      );
    }
    // A relative folder would resolve against the host's working directory, not the caller's.
    if (!path.isAbsolute(distDir)) {
      throw new HttpError(
        'DEPLOY_REQUEST_INVALID',
        `distDir must be an absolute path, got "${distDir}"`,
      );
    }
    // A deploy's refusals (a bad manifest 400, failed health checks 409, a host shutting down
    // 503) are answered by the gateway with their codes' statuses.
    ctx.json(200, await options.deployer.deploy(manifest, distDir));
  });

  gateway.route('POST', '/admin/rollback', async (req, _res, ctx) => {
    guard(req);
    ctx.json(200, await options.deployer.rollback());
  });

  gateway.route('GET', '/admin/deployments', (req, _res, ctx) => {
    guard(req);
    ctx.json(200, { deployments: options.history() });
  });

  gateway.route('GET', '/admin/status', (req, _res, ctx) => {
    guard(req);
    ctx.json(200, {
      host: options.describe(),
      functions: options.registry.list().map((pool) => pool.stats()),
      services: (options.services?.() ?? []).map((service) => service.status()),
    });
  });

  gateway.route('POST', '/admin/services/restart', async (req, _res, ctx) => {
    guard(req);
    const services = options.services?.() ?? [];
    // A restart keeps the host listening for a service: its clients wait, none is refused.
    await Promise.all(services.map((service) => service.restart()));
    ctx.json(200, { services: services.map((service) => service.status()) });
  });

  gateway.route('POST', '/admin/shutdown', (req, _res, ctx) => {
    guard(req);
    ctx.json(202, { status: 'stopping' });
    setImmediate(options.shutdown);
  });
}

function authorize(req: IncomingMessage, adminToken: string): void {
  // The scheme is case-insensitive (RFC 9110 §11.1): `bearer x` is as good as `Bearer x`.
  const given = /^bearer +(.+)$/i.exec(headerValue(req, 'authorization') ?? '')?.[1] ?? '';
  if (!adminToken) {
    throw new HttpError(
      'ADMIN_DISABLED',
      'the admin API is off: set security.adminToken (ATOLYE_ADMIN_TOKEN)',
    );
  }
  // Compare digests so the comparison takes the same time whatever the lengths.
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  if (!given || !timingSafeEqual(digest(given), digest(adminToken))) {
    throw new HttpError(
      'ADMIN_UNAUTHORIZED',
      'missing or wrong admin token: send Authorization: Bearer <security.adminToken>',
    );
  }
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch (error) {
    throw new HttpError('BODY_INVALID_JSON', `request body is not JSON: ${errorMessage(error)}`);
  }
  throw new HttpError('BODY_INVALID_JSON', 'request body must be a JSON object');
}
