import { READINESS_CONTENT_TYPE, renderReadiness } from '../../../monitoring/readiness.js';
import type { ApiApp, ReadinessChecks } from '../types.js';

// Kept until orchestrator/service.ts imports ReadinessCheck from monitoring/readiness.ts.
export type { HealthCheck } from '../../../monitoring/health-checks.js';

/**
 * `/healthz` answers while the process serves; `/readyz` runs the checks: any `fail` makes it
 * 503, a `warn` leaves it 200 (the format of draft-inadarei-api-health-check).
 */
export function addHealthRoutes(app: ApiApp, checks: ReadinessChecks): void {
  app.get('/healthz', (c) =>
    c.body(JSON.stringify({ status: 'pass' }), 200, { 'content-type': READINESS_CONTENT_TYPE }),
  );
  app.get('/readyz', async (c) => {
    const answer = renderReadiness(await checks());
    return c.body(answer.body, answer.httpStatus, answer.headers);
  });
}
