import { READINESS_CONTENT_TYPE, renderReadiness } from '../../../monitoring/readiness.js';
import type { ReadinessProbe } from '../../../monitoring/readiness.js';
import type { ApiApp } from '../types.js';

/**
 * `/healthz` answers while the process serves; `/readyz` runs the checks: any `fail` makes it
 * 503, a `warn` leaves it 200 (the format of draft-inadarei-api-health-check).
 */
export function addHealthRoutes(app: ApiApp, checks: ReadinessProbe): void {
  app.get('/healthz', (c) =>
    c.body(JSON.stringify({ status: 'pass' }), 200, { 'content-type': READINESS_CONTENT_TYPE }),
  );
  app.get('/readyz', async (c) => {
    const answer = renderReadiness(await checks());
    return c.body(answer.body, answer.httpStatus, answer.headers);
  });
}
