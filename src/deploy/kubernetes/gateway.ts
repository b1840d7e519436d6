import type { ManifestFunction } from '../../runtime/bundle/index.js';
import { timeoutSeconds } from '../docker/runtime-env.js';
import { labels } from './env.js';
import { functionServiceName } from './knative.js';
import type { YamlValue } from './yaml.js';

export const GATEWAY = 'atolye-gateway';
export const GATEWAY_IMAGE = 'nginxinc/nginx-unprivileged:1.27-alpine';
const GATEWAY_PORT = 8080;

/**
 * The orchestrator knows one base URL and calls `<base>/fn/<name>`; Knative gives each function
 * its own host name. This nginx maps the path to the function's cluster-local Knative address,
 * keeping path, body and headers byte for byte (the HMAC signature covers the path). Names are
 * resolved per request, so it starts before the functions exist.
 */
export function gatewayConfig(functions: readonly ManifestFunction[], namespace: string): string {
  const locations = functions.map((fn) =>
    [
      `    location = /fn/${fn.name} {`,
      `      set $upstream ${functionServiceName(fn)}.${namespace}.svc.cluster.local;`,
      `      proxy_read_timeout ${timeoutSeconds(fn.limits.timeoutMs) + 10}s;`,
      '      proxy_pass http://$upstream;',
      '    }',
    ].join('\n'),
  );
  return [
    'server {',
    `    listen ${GATEWAY_PORT};`,
    '    resolver kube-dns.kube-system.svc.cluster.local valid=10s;',
    '    client_max_body_size 0;',
    '    proxy_http_version 1.1;',
    '    proxy_request_buffering off;',
    '    location = /healthz {',
    '      default_type application/health+json;',
    '      return 200 \'{"status":"pass"}\';',
    '    }',
    '    location = /readyz {',
    '      default_type application/health+json;',
    '      return 200 \'{"status":"pass","checks":{}}\';',
    '    }',
    ...locations,
    '    location / {',
    '      default_type application/json;',
    '      return 404 \'{"error":{"code":"FUNCTION_NOT_FOUND","message":"no such function","retryable":false}}\';',
    '    }',
    '}',
    '',
  ].join('\n');
}

export function gatewayObjects(
  functions: readonly ManifestFunction[],
  namespace: string,
  buildVersion: string,
): YamlValue[] {
  const podLabels = labels('gateway', { 'app.kubernetes.io/name': GATEWAY });
  const probe = (path: string): YamlValue => ({
    httpGet: { path, port: 'http' },
    periodSeconds: 10,
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: GATEWAY, labels: podLabels },
      data: { 'default.conf': gatewayConfig(functions, namespace) },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: GATEWAY, labels: podLabels },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'app.kubernetes.io/name': GATEWAY } },
        template: {
          // A new build may add or drop routes: rolling the pods makes nginx read them.
          metadata: { labels: podLabels, annotations: { 'atolye.dev/build': buildVersion } },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 101, runAsGroup: 101 },
            containers: [
              {
                name: 'nginx',
                image: GATEWAY_IMAGE,
                ports: [{ name: 'http', containerPort: GATEWAY_PORT }],
                resources: {
                  requests: { cpu: '50m', memory: '32Mi' },
                  limits: { memory: '128Mi' },
                },
                readinessProbe: probe('/readyz'),
                livenessProbe: probe('/healthz'),
                volumeMounts: [{ name: 'config', mountPath: '/etc/nginx/conf.d', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: GATEWAY } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: GATEWAY, labels: podLabels },
      spec: {
        selector: { 'app.kubernetes.io/name': GATEWAY },
        ports: [{ name: 'http', port: 80, targetPort: 'http' }],
      },
    },
  ];
}
