import { labels } from './env.js';
import { WORKSPACES_CLAIM } from './knative.js';
import type { YamlValue } from './yaml.js';

export const POSTGRES = 'atolye-postgres';
export const POSTGRES_IMAGE = 'postgres:16-bookworm';

/**
 * The workspaces claim is ReadWriteMany: every function pod and both orchestrators mount the same
 * workspaces, on whichever node they run. It needs a storage class that offers RWX (NFS, CephFS,
 * EFS, Azure Files, Filestore); set `storageClassName` through a kustomize patch. The
 * orchestrators need no volume of their own: their stores are in Postgres.
 */
export function volumeClaims(): YamlValue[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: WORKSPACES_CLAIM, labels: labels('storage') },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '20Gi' } } },
    },
  ];
}

/**
 * A single-instance Postgres for every orchestrator store, so the kustomization runs on its own.
 * For a managed Postgres, drop postgres.yaml from the kustomization and put its URL in the
 * `atolye-core` Secret (ATOLYE_STORAGE_URL): the orchestrators read only that key.
 */
export function postgresObjects(): YamlValue[] {
  const podLabels = labels('postgres', { 'app.kubernetes.io/name': POSTGRES });
  const probe: YamlValue = {
    exec: { command: ['pg_isready', '-U', 'atolye', '-d', 'atolye'] },
    periodSeconds: 10,
    timeoutSeconds: 5,
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: POSTGRES, labels: podLabels },
      spec: {
        selector: { 'app.kubernetes.io/name': POSTGRES },
        ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: POSTGRES, labels: podLabels },
      spec: {
        serviceName: POSTGRES,
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': POSTGRES } },
        template: {
          metadata: { labels: podLabels },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
            containers: [
              {
                name: 'postgres',
                image: POSTGRES_IMAGE,
                ports: [{ name: 'postgres', containerPort: 5432 }],
                env: [
                  { name: 'POSTGRES_USER', value: 'atolye' },
                  { name: 'POSTGRES_DB', value: 'atolye' },
                  { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                  {
                    name: 'POSTGRES_PASSWORD',
                    valueFrom: { secretKeyRef: { name: POSTGRES, key: 'POSTGRES_PASSWORD' } },
                  },
                ],
                resources: {
                  requests: { cpu: '250m', memory: '256Mi' },
                  limits: { memory: '1Gi' },
                },
                readinessProbe: probe,
                livenessProbe: { ...(probe as object), periodSeconds: 30 },
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
          },
        ],
      },
    },
  ];
}
