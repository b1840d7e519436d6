import { IMAGE, ORCHESTRATOR_ENV, ORCHESTRATOR_SECRETS, PORTS } from '../docker/runtime-env.js';
import { coreSecrets, envVars, labels, POD_SECURITY } from './env.js';
import { WORKSPACES_CLAIM } from './knative.js';
import type { YamlValue } from './yaml.js';

export const ORCHESTRATOR = 'atolye-orchestrator';
export const ORCHESTRATOR_DATA_CLAIM = 'atolye-orchestrator-data';

/**
 * The orchestrator as one replica: its run records and API keys are SQLite files on its own
 * volume (checkpoints go to Postgres), so a second replica would not share them. `Recreate` lets
 * the old pod release the volume before the new one mounts it.
 */
export function orchestratorDeployment(image: string, hostUrl: string): YamlValue {
  const podLabels = labels('orchestrator', { 'app.kubernetes.io/name': ORCHESTRATOR });
  const probe = (path: string, periodSeconds: number): YamlValue => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: ORCHESTRATOR, labels: podLabels },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { 'app.kubernetes.io/name': ORCHESTRATOR } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          securityContext: POD_SECURITY,
          containers: [
            {
              name: 'orchestrator',
              image,
              args: ['orchestrator'],
              ports: [{ name: 'http', containerPort: PORTS.api }],
              env: envVars(
                { ...ORCHESTRATOR_ENV, ATOLYE_HOST_URL: hostUrl },
                coreSecrets(ORCHESTRATOR_SECRETS),
              ),
              resources: {
                requests: { cpu: '250m', memory: '512Mi' },
                limits: { memory: '1Gi' },
              },
              readinessProbe: probe('/readyz', 10),
              livenessProbe: probe('/healthz', 20),
              startupProbe: { ...(probe('/healthz', 5) as object), failureThreshold: 24 },
              volumeMounts: [
                { name: 'workspaces', mountPath: IMAGE.workspaces },
                { name: 'data', mountPath: IMAGE.dataDir },
              ],
            },
          ],
          volumes: [
            { name: 'workspaces', persistentVolumeClaim: { claimName: WORKSPACES_CLAIM } },
            { name: 'data', persistentVolumeClaim: { claimName: ORCHESTRATOR_DATA_CLAIM } },
          ],
        },
      },
    },
  };
}

export function orchestratorService(): YamlValue {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: ORCHESTRATOR, labels: labels('orchestrator') },
    spec: {
      selector: { 'app.kubernetes.io/name': ORCHESTRATOR },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  };
}
