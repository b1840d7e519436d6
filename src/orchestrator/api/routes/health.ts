import { worstStatus } from '../../../monitoring/health-checks.js';
import type { ApiApp, ReadinessChecks } from '../types.js';

export type { CheckStatus, HealthCheck } from '../../../monitoring/health-checks.js';

const HEALTH_JSON = 'application/health+json';

/**
 * `/healthz` answers while the process serves; `/readyz` runs the checks: any `fail` makes it
 * 503, a `warn` leaves it 200 (the format of draft-inadarei-api-health-check).
 */
export function addHealthRoutes(app: ApiApp, checks: ReadinessChecks): void {
  app.get('/healthz', (c) =>
    c.body(JSON.stringify({ status: 'pass' }), 200, { 'content-type': HEALTH_JSON }),
  );
  app.get('/readyz', async (c) => {
    const results = await checks();
    const status = worstStatus(Object.values(results).map((check) => check.status));
    const body = {
      status,
      checks: Object.fromEntries(Object.entries(results).map(([name, check]) => [name, [check]])),
    };
    return c.body(JSON.stringify(body), status === 'fail' ? 503 : 200, {
      'content-type': HEALTH_JSON,
    });
  });
}
