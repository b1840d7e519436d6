import { IMAGE, ORCHESTRATOR_ENV, ORCHESTRATOR_SECRETS, PORTS } from '../docker/runtime-env.js';
import { coreSecrets, envVars, labels, POD_SECURITY } from './env.js';
import { WORKSPACES_CLAIM } from './knative.js';
import type { YamlValue } from './yaml.js';

export const ORCHESTRATOR = 'atolye-orchestrator';

/**
 * Two replicas: every store (threads, runs, events, crons, assistants, API keys, checkpoints) is
 * in Postgres on this target, so both serve the same runs. One handles hundreds of concurrent
 * runs (it mostly waits on the functions); the second is there for availability.
 */
export const ORCHESTRATOR_REPLICAS = 2;

/**
 * Seconds a stopping pod keeps answering before it gets SIGTERM, so the Service's endpoints drop
 * it first and no new request or stream is sent to a process that is closing.
 */
const PRE_STOP_SECONDS = 5;

/**
 * preStop, then closing: the executor stops its runs at their last checkpoint at once (it does
 * not wait for steps to finish) and the stores close. The other replica takes those runs over
 * once their lease lapses (ATOLYE_LEASE_MS, 15 s by default), whether this pod closed cleanly or
 * was killed at the end of the grace period, so the grace period only bounds a clean close.
 */
const TERMINATION_GRACE_SECONDS = 30;

function orchestratorContainer(name: string, image: string, args: string[], hostUrl: string) {
  return {
    name,
    image,
    args,
    env: envVars(
      { ...ORCHESTRATOR_ENV, ATOLYE_HOST_URL: hostUrl },
      coreSecrets(ORCHESTRATOR_SECRETS),
    ),
    resources: {
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { memory: '1Gi' },
    },
  };
}

/**
 * The orchestrator Deployment. A rolling update starts the new pod before an old one stops
 * (maxUnavailable 0), and the replicas are spread over nodes where the cluster can, so runs
 * always have an orchestrator to move to.
 *
 * The schema migration is an init container running `atolye migrate`, not a Job: it runs before
 * every orchestrator start in the same pod, so no orchestrator ever starts on an older schema,
 * with exactly the orchestrator's image, environment and Secrets. A Job would not hold the
 * Deployment back (`kubectl apply -k` starts both at once), and its pod template cannot be changed
 * by re-applying it, so every build would need a new Job name and someone to clean the old ones
 * up. Two init containers migrating at once are safe: migrations run under a Postgres advisory
 * lock and the second finds nothing left to do. A failure (say, Postgres unreachable) shows as the
 * pod's Init:Error with `atolye migrate`'s message in `kubectl logs <pod> -c migrate`.
 */
export function orchestratorDeployment(image: string, hostUrl: string): YamlValue {
  const podLabels = labels('orchestrator', { 'app.kubernetes.io/name': ORCHESTRATOR });
  const selector = { matchLabels: { 'app.kubernetes.io/name': ORCHESTRATOR } };
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
      replicas: ORCHESTRATOR_REPLICAS,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector,
      template: {
        metadata: { labels: podLabels },
        spec: {
          securityContext: POD_SECURITY,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: selector,
            },
          ],
          initContainers: [
            {
              ...orchestratorContainer('migrate', image, ['migrate'], hostUrl),
              volumeMounts: [{ name: 'data', mountPath: IMAGE.dataDir }],
            },
          ],
          containers: [
            {
              ...orchestratorContainer('orchestrator', image, ['orchestrator'], hostUrl),
              ports: [{ name: 'http', containerPort: PORTS.api }],
              readinessProbe: probe('/readyz', 10),
              livenessProbe: probe('/healthz', 20),
              startupProbe: { ...(probe('/healthz', 5) as object), failureThreshold: 24 },
              lifecycle: { preStop: { exec: { command: ['sleep', String(PRE_STOP_SECONDS)] } } },
              volumeMounts: [
                { name: 'workspaces', mountPath: IMAGE.workspaces },
                { name: 'data', mountPath: IMAGE.dataDir },
              ],
            },
          ],
          volumes: [
            { name: 'workspaces', persistentVolumeClaim: { claimName: WORKSPACES_CLAIM } },
            // Nothing here outlives the pod: the stores are in Postgres, this is scratch space.
            { name: 'data', emptyDir: {} },
          ],
        },
      },
    },
  };
}

/** Voluntary disruptions (node drains, cluster upgrades) leave at least one orchestrator up. */
export function orchestratorDisruptionBudget(): YamlValue {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: ORCHESTRATOR, labels: labels('orchestrator') },
    spec: {
      minAvailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': ORCHESTRATOR } },
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
