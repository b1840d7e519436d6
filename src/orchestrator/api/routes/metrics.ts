import type { ApiApp, ApiDeps } from '../types.js';

/**
 * `GET /metrics` in the Prometheus text format. Open like the probes unless api.protectMetrics,
 * which app.ts enforces; not in the API description, it is for scrapers, not clients.
 */
export function addMetricsRoute(app: ApiApp, metrics: NonNullable<ApiDeps['metrics']>): void {
  app.get('/metrics', async (c) =>
    c.body(await metrics.text(), 200, {
      'content-type': metrics.contentType,
      'cache-control': 'no-store',
    }),
  );
}
