import type { ServerResponse } from 'node:http';
import type { CheckStatus, HealthChecks } from '../../monitoring/health-checks.js';
import { HEALTH_TYPE, send } from './http.js';
import type { Registry } from './registry.js';

/** One entry of `checks` in the health+json format (draft-inadarei-api-health-check). */
export interface HealthCheckEntry {
  componentId: string;
  componentType: string;
  status: CheckStatus;
  observedValue?: number;
  observedUnit?: string;
  output?: string;
  time: string;
}

/** Liveness: the process answers. It says nothing about functions, so a restart never helps them. */
export function healthz(res: ServerResponse, requestId: string): void {
  send(res, 200, '{"status":"pass"}', { 'content-type': HEALTH_TYPE, 'x-request-id': requestId });
}

/** Host-level checks beside the functions' (configuration, logs, disk, sandbox, model…). */
export type HostReadiness = () => Promise<HealthChecks>;

/**
 * Readiness: the host-level checks, then one check per deployed function, from the pools' own
 * state (nothing is started, so a probe every few seconds does not keep scaled-to-zero functions
 * warm). Fails while the host shuts down, so a load balancer stops sending calls first; a `warn`
 * leaves it ready (200).
 */
export async function readyz(
  res: ServerResponse,
  requestId: string,
  registry: Registry,
  closing: boolean,
  readiness?: HostReadiness,
): Promise<void> {
  const hostChecks = readiness ? await readiness() : {};
  const time = new Date().toISOString();
  const checks: Record<string, HealthCheckEntry[]> = {};
  let status: CheckStatus = closing ? 'fail' : 'pass';
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
  for (const [name, check] of Object.entries(hostChecks)) {
    const componentId = name.slice(0, name.indexOf(':'));
    checks[name] = [{ componentId, componentType: 'system', ...check, time }];
    if (check.status === 'fail') status = 'fail';
    else if (check.status === 'warn' && status === 'pass') status = 'warn';
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
  send(res, status === 'fail' ? 503 : 200, JSON.stringify({ status, checks }), {
    'content-type': HEALTH_TYPE,
    'x-request-id': requestId,
    'cache-control': 'no-store',
  });
}
