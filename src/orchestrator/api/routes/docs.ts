import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ApiApp } from '../types.js';

/** Files of the reference page, served from the installed package: no CDN. */
const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Atölye Şefi run API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="api"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>SwaggerUIBundle({ url: '/openapi.json', dom_id: '#api', validatorUrl: null });</script>
</body>
</html>`;

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Atölye Şefi run API',
    version: '1',
    description:
      'Threads hold a workspace and its history; a run is one task on a thread. Follows LangGraph Platform resources, so @langchain/langgraph-sdk works unchanged. Authenticate with `Authorization: Bearer KEY` or `x-api-key: KEY`.',
  },
  security: [{ apiKey: [] }],
};

export function addDocsRoutes(app: ApiApp): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
  });
  app.doc31('/openapi.json', OPENAPI_DOCUMENT);
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/:asset', async (c) => {
    const type = ASSETS[c.req.param('asset')];
    if (type === undefined) return c.notFound();
    const body = await readFile(path.join(SWAGGER_DIR, c.req.param('asset')));
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
}
