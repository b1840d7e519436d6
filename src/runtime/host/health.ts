import type { ServerResponse } from 'node:http';
import { HEALTH_TYPE, send } from './http.js';
import type { Registry } from './registry.js';
import type { HealthStatus } from './types.js';

/** One entry of `checks` in the health+json format (draft-inadarei-api-health-check). */
export interface HealthCheckEntry {
  componentId: string;
  componentType: string;
  status: HealthStatus;
  observedValue?: number;
  observedUnit?: string;
  output?: string;
  time: string;
}

/** Liveness: the process answers. It says nothing about functions, so a restart never helps them. */
export function healthz(res: ServerResponse, requestId: string): void {
  send(res, 200, '{"status":"pass"}', { 'content-type': HEALTH_TYPE, 'x-request-id': requestId });
}

/**
 * Readiness: one check per deployed function, from the pools' own state (nothing is started, so
 * a probe every few seconds does not keep scaled-to-zero functions warm). Fails while the host
 * shuts down, so a load balancer stops sending calls first.
 */
export function readyz(
  res: ServerResponse,
  requestId: string,
  registry: Registry,
  closing: boolean,
): void {
  const time = new Date().toISOString();
  const checks: Record<string, HealthCheckEntry[]> = {};
  let status: HealthStatus = closing ? 'fail' : 'pass';
  if (closing) {
    checks['host:accepting'] = [
      {
        componentId: 'gateway',
        componentType: 'system',
        status: 'fail',
        output: 'the host is shutting down',
        time,
      },
    ];
  }
  for (const pool of registry.list()) {
    const stats = pool.stats();
    const entry: HealthCheckEntry = {
      componentId: stats.name,
      componentType: 'function',
      status: stats.health.status,
      observedValue: stats.workers.starting + stats.workers.idle + stats.workers.busy,
      observedUnit: 'workers',
      time,
    };
    if (stats.health.output !== undefined) entry.output = stats.health.output;
    if (entry.status === 'fail') status = 'fail';
    checks[`function:${stats.name}`] = [entry];
  }
  send(res, status === 'pass' ? 200 : 503, JSON.stringify({ status, checks }), {
    'content-type': HEALTH_TYPE,
    'x-request-id': requestId,
    'cache-control': 'no-store',
  });
}
