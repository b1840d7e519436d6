import { OpenAPIHono } from '@hono/zod-openapi';
import { AtolyeError } from '../../errors.js';
import { addApiRoutes } from './app.js';
import type { ApiApp, ApiEnv, ApiRouteDeps } from './types.js';
import { addDocsRoutes, OPENAPI_DOCUMENT } from './routes/docs.js';

/** Where `atolye build` writes the document; a test fails when the committed copy is stale. */
export const OPENAPI_FILE = 'docs/api/openapi.json';

/**
 * The OpenAPI document of the run API, generated from the route schemas without serving
 * anything: the routes touch their dependencies only when a request comes.
 */
export function openApiDocument(): Record<string, unknown> {
  const app: ApiApp = new OpenAPIHono<ApiEnv>();
  const unused = new Proxy({} as ApiRouteDeps, {
    get: (_target, key) => {
      throw new AtolyeError(
        'INTERNAL',
        `openApiDocument() serves no requests (deps.${String(key)})`,
      );
    },
  });
  addApiRoutes(app, unused);
  addDocsRoutes(app);
  return app.getOpenAPI31Document(OPENAPI_DOCUMENT) as unknown as Record<string, unknown>;
}

export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
