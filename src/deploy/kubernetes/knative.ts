import type { ManifestFunction } from '../../runtime/bundle/index.js';
import {
  CORE_SECRETS,
  functionSecrets,
  HOST_ENV,
  IMAGE,
  PORTS,
  timeoutSeconds,
} from '../docker/runtime-env.js';
import { coreSecrets, envVars, labels } from './env.js';
import type { YamlValue } from './yaml.js';

export const WORKSPACES_CLAIM = 'atolye-workspaces';

export function functionServiceName(fn: Pick<ManifestFunction, 'name'>): string {
  return `atolye-fn-${fn.name}`;
}

/**
 * One Knative Service per function, its autoscaling taken from the declaration: min/max scale
 * from min/maxWorkers, a hard per-pod limit of `concurrency` requests (the one worker in the pod
 * takes that many at once), the request timeout, scale-down after `idleMs` and the memory.
 */
export function knativeService(fn: ManifestFunction, image: string): YamlValue {
  const { limits } = fn;
  const fnLabels = labels('function', { 'atolye.dev/function': fn.name });
  const probe = (path: string, periodSeconds: number): YamlValue => ({
    httpGet: { path, port: PORTS.host },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: functionServiceName(fn), labels: fnLabels },
    spec: {
      template: {
        metadata: {
          labels: fnLabels,
          annotations: {
            'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev',
            'autoscaling.knative.dev/metric': 'concurrency',
            'autoscaling.knative.dev/min-scale': String(limits.minWorkers),
            'autoscaling.knative.dev/max-scale': String(limits.maxWorkers),
            'autoscaling.knative.dev/scale-down-delay': `${Math.ceil(limits.idleMs / 1000)}s`,
            'atolye.dev/version': fn.version,
          },
        },
        spec: {
          containerConcurrency: limits.concurrency,
          timeoutSeconds: timeoutSeconds(limits.timeoutMs),
          containers: [
            {
              name: 'function',
              image,
              args: ['function', fn.name],
              ports: [{ name: 'http1', containerPort: PORTS.host }],
              env: envVars(
                {
                  ...HOST_ENV,
                  ATOLYE_DATA_DIR: '/tmp/atolye-data',
                  ATOLYE_LOG_DIR: '/tmp/atolye-logs',
                },
                [...coreSecrets(CORE_SECRETS), ...functionSecrets(fn)],
              ),
              resources: {
                requests: { cpu: '250m', memory: `${limits.memoryMb}Mi` },
                limits: { memory: `${limits.memoryMb}Mi` },
              },
              // /readyz through the entrypoint: it also waits for the function to be deployed
              // into the pod's host, which an HTTP probe of an empty host cannot see.
              readinessProbe: {
                exec: { command: ['node', IMAGE.entrypoint, 'ready'] },
                periodSeconds: 2,
                timeoutSeconds: 5,
                failureThreshold: 3,
              },
              livenessProbe: probe('/healthz', 15),
              securityContext: {
                runAsNonRoot: true,
                runAsUser: IMAGE.uid,
                runAsGroup: IMAGE.uid,
                allowPrivilegeEscalation: false,
              },
              volumeMounts: [{ name: 'workspaces', mountPath: IMAGE.workspaces }],
            },
          ],
          volumes: [{ name: 'workspaces', persistentVolumeClaim: { claimName: WORKSPACES_CLAIM } }],
        },
      },
    },
  };
}
