import type { ServerResponse } from 'node:http';
import {
  READINESS_CONTENT_TYPE,
  renderReadiness,
  type ComponentCheck,
  type ReadinessProbe,
} from '../../monitoring/readiness.js';
import { send } from './http.js';
import type { Registry } from './registry.js';

/** Liveness: the process answers. It says nothing about functions, so a restart never helps them. */
export function healthz(res: ServerResponse, requestId: string): void {
  send(res, 200, '{"status":"pass"}', {
    'content-type': READINESS_CONTENT_TYPE,
    'x-request-id': requestId,
  });
}

/** Host-level checks beside the functions' (configuration, logs, disk, sandbox, model…). */
export type HostReadiness = ReadinessProbe;

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
  const checks: Record<string, ComponentCheck> = {};
  if (closing) {
    checks['host:accepting'] = {
      componentId: 'gateway',
      status: 'fail',
      output: 'the host is shutting down',
    };
  }
  Object.assign(checks, readiness ? await readiness() : {});
  for (const pool of registry.list()) {
    const stats = pool.stats();
    checks[`function:${stats.name}`] = {
      componentId: stats.name,
      componentType: 'function',
      ...stats.health,
      observedValue: stats.workers.starting + stats.workers.idle + stats.workers.busy,
      observedUnit: 'workers',
    };
  }
  const answer = renderReadiness(checks);
  send(res, answer.httpStatus, answer.body, { ...answer.headers, 'x-request-id': requestId });
}
