import { PersistentVolumeClaim, ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1';
import { parseAllDocuments } from 'yaml';
import { renderKubernetes } from '../../../src/deploy/kubernetes/index.js';
import { createManifest, type ManifestFunction } from '../../../src/runtime/bundle/manifest.js';

// Every generated object is validated against the Kubernetes and Knative schemas, and the values
// that come from the manifest are checked against it.

function fn(name: string, limits: Partial<ManifestFunction['limits']>, secrets: string[]) {
  return {
    name,
    description: `${name} step`,
    limits: {
      timeoutMs: 30_000,
      memoryMb: 256,
      concurrency: 1,
      minWorkers: 0,
      maxWorkers: 2,
      idleMs: 60_000,
      retries: 0,
      queueSize: 64,
      ...limits,
    },
    secrets,
    version: name
      .padEnd(12, '0')
      .slice(0, 12)
      .replace(/[^0-9a-f]/g, 'a'),
    bytes: 1000,
    entry: `functions/${name}/index.mjs`,
    external: [],
  };
}

const manifest = createManifest(
  [
    fn('act', { timeoutMs: 180_000, memoryMb: 512, concurrency: 4, maxWorkers: 4 }, [
      'ATOLYE_MODEL',
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
    ]),
    fn(
      'tools',
      {
        timeoutMs: 1_500,
        memoryMb: 300,
        concurrency: 3,
        minWorkers: 1,
        maxWorkers: 7,
        idleMs: 500,
      },
      ['ATOLYE_SANDBOX_MODE', 'ATOLYE_WORKSPACE_ROOT'],
    ),
    fn('code-review', { retries: 2 }, ['REVIEW_TOKEN']),
  ],
  new Date(0),
);

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [key: string]: unknown;
}

const files = renderKubernetes(manifest);
const objects: { file: string; object: K8sObject }[] = Object.entries(files)
  .filter(([name]) => name.endsWith('.yaml') && name !== 'kustomization.yaml')
  .flatMap(([file, text]) =>
    parseAllDocuments(text).map((doc) => ({ file, object: doc.toJS() as K8sObject })),
  );
const byKind = (kind: string, apiVersion?: string) =>
  objects
    .map(({ object }) => object)
    .filter((o) => o.kind === kind && (apiVersion === undefined || o.apiVersion === apiVersion));
const knative = (name: string) => {
  const found = byKind('Service', 'serving.knative.dev/v1').find(
    (o) => o.metadata.name === `atolye-fn-${name}`,
  );
  if (!found) throw new Error(`no Knative service for ${name}`);
  return found as unknown as KnativeShape;
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } };
}
interface Container {
  image: string;
  args: string[];
  env: EnvVar[];
  resources: { limits: { memory: string } };
  readinessProbe: { httpGet?: { path: string }; exec?: { command: string[] } };
  livenessProbe: { httpGet: { path: string } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface KnativeShape {
  spec: {
    template: {
      metadata: { annotations: Record<string, string> };
      spec: {
        containerConcurrency: number;
        timeoutSeconds: number;
        containers: Container[];
        volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
      };
    };
  };
}

const VALIDATORS: Record<string, (o: K8sObject) => { validate(): void }> = {
  'v1/Namespace': (o) => new Namespace(o as never),
  'v1/PersistentVolumeClaim': (o) => new PersistentVolumeClaim(o as never),
  'v1/Service': (o) => new Service(o as never),
  'v1/ConfigMap': (o) => new ConfigMap(o as never),
  'apps/v1/Deployment': (o) => new Deployment(o as never),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o as never),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o as never),
  'serving.knative.dev/v1/Service': (o) => new KnativeService(o as never),
};

describe('kubernetes target', () => {
  it('generates only objects that pass the Kubernetes and Knative schemas', () => {
    expect(objects.length).toBeGreaterThanOrEqual(12);
    for (const { file, object } of objects) {
      const validator = VALIDATORS[`${object.apiVersion}/${object.kind}`];
      if (!validator)
        throw new Error(`${file}: no validator for ${object.apiVersion}/${object.kind}`);
      expect(() => validator(object).validate()).not.toThrow();
    }
  });

  it('a schema violation is caught by the same validation (the check can fail)', () => {
    const broken = structuredClone(knative('act')) as unknown as K8sObject;
    (
      broken as unknown as { spec: { template: { spec: { timeoutSeconds: unknown } } } }
    ).spec.template.spec.timeoutSeconds = '180';
    expect(() => new KnativeService(broken as never).validate()).toThrow();
    const deployment = structuredClone(byKind('Deployment')[0]!) as unknown as {
      spec: { selector?: unknown };
    };
    delete deployment.spec.selector;
    expect(() => new Deployment(deployment as never).validate()).toThrow();
  });

  it.each(manifest.functions.map((f) => [f.name, f] as const))(
    'maps the limits of %s onto its Knative Service',
    (name, f) => {
      const template = knative(name).spec.template;
      const annotations = template.metadata.annotations;
      expect(annotations['autoscaling.knative.dev/min-scale']).toBe(String(f.limits.minWorkers));
      expect(annotations['autoscaling.knative.dev/max-scale']).toBe(String(f.limits.maxWorkers));
      expect(annotations['autoscaling.knative.dev/scale-down-delay']).toBe(
        `${Math.ceil(f.limits.idleMs / 1000)}s`,
      );
      expect(template.spec.containerConcurrency).toBe(f.limits.concurrency);
      expect(template.spec.timeoutSeconds).toBe(Math.ceil(f.limits.timeoutMs / 1000));
      const [container] = template.spec.containers;
      expect(container?.resources.limits.memory).toBe(`${f.limits.memoryMb}Mi`);
      expect(container?.args).toEqual(['function', name]);
      expect(container?.image).toBe(`atolye-sefi:${manifest.version}`);
      // The entrypoint's `ready` probes /readyz once the function is deployed in the pod.
      expect(container?.readinessProbe.exec?.command).toEqual([
        'node',
        '/app/docker-entrypoint.mjs',
        'ready',
      ]);
      expect(container?.livenessProbe.httpGet.path).toBe('/healthz');
    },
  );

  it('rounds a sub-second timeout up, never down', () => {
    expect(knative('tools').spec.template.spec.timeoutSeconds).toBe(2);
  });

  it('hands each function only its declared secrets, by reference, and the model key only to callers', () => {
    const secretNames = (name: string) =>
      knative(name)
        .spec.template.spec.containers[0]!.env.filter((e) => e.valueFrom)
        .map((e) => e.name)
        .sort();
    expect(secretNames('act')).toEqual([
      'ATOLYE_ADMIN_TOKEN',
      'ATOLYE_MODEL',
      'ATOLYE_SIGNING_SECRET',
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
    ]);
    expect(secretNames('tools')).toEqual([
      'ATOLYE_ADMIN_TOKEN',
      'ATOLYE_SANDBOX_MODE',
      'ATOLYE_SIGNING_SECRET',
    ]);
    expect(secretNames('code-review')).toEqual([
      'ATOLYE_ADMIN_TOKEN',
      'ATOLYE_SIGNING_SECRET',
      'REVIEW_TOKEN',
    ]);
    const key = knative('act').spec.template.spec.containers[0]!.env.find(
      (e) => e.name === 'OPENAI_API_KEY',
    );
    expect(key?.valueFrom?.secretKeyRef).toEqual({ name: 'atolye-model', key: 'OPENAI_API_KEY' });
    // No secret is ever written as a value anywhere.
    const all = Object.values(files).join('\n');
    expect(all).not.toMatch(
      /name: (OPENAI_API_KEY|ATOLYE_SIGNING_SECRET|ATOLYE_ADMIN_TOKEN)\n\s+value:/,
    );
  });

  it('mounts the ReadWriteMany workspaces claim in every function and the orchestrator', () => {
    const [claim] = byKind('PersistentVolumeClaim').filter(
      (o) => o.metadata.name === 'atolye-workspaces',
    );
    expect((claim as unknown as { spec: { accessModes: string[] } }).spec.accessModes).toEqual([
      'ReadWriteMany',
    ]);
    for (const f of manifest.functions) {
      const spec = knative(f.name).spec.template.spec;
      expect(spec.volumes).toContainEqual({
        name: 'workspaces',
        persistentVolumeClaim: { claimName: 'atolye-workspaces' },
      });
      expect(spec.containers[0]?.volumeMounts).toContainEqual({
        name: 'workspaces',
        mountPath: '/workspaces',
      });
    }
    const orchestrator = byKind('Deployment').find(
      (o) => o.metadata.name === 'atolye-orchestrator',
    );
    const pod = (
      orchestrator as unknown as {
        spec: { template: { spec: { containers: Container[]; volumes: unknown[] } } };
      }
    ).spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'workspaces',
      persistentVolumeClaim: { claimName: 'atolye-workspaces' },
    });
    const env = Object.fromEntries(pod.containers[0]!.env.map((e) => [e.name, e]));
    expect(env.ATOLYE_HOST_URL?.value).toBe('http://atolye-gateway.atolye.svc.cluster.local');
    expect(env.ATOLYE_STORAGE_URL?.valueFrom?.secretKeyRef).toEqual({
      name: 'atolye-core',
      key: 'ATOLYE_STORAGE_URL',
    });
    expect(env.OPENAI_API_KEY).toBeUndefined();
    expect(pod.containers[0]?.readinessProbe.httpGet?.path).toBe('/readyz');
    expect(pod.containers[0]?.livenessProbe.httpGet.path).toBe('/healthz');
  });

  it('routes /fn/<name> of every function to its Knative Service through the gateway', () => {
    const [config] = byKind('ConfigMap');
    const conf = (config as unknown as { data: Record<string, string> }).data['default.conf']!;
    for (const f of manifest.functions) {
      expect(conf).toContain(
        `location = /fn/${f.name} {\n      set $upstream atolye-fn-${f.name}.atolye.svc.cluster.local;`,
      );
    }
  });

  it('lists every object file in the kustomization and a namespace of choice everywhere', () => {
    const custom = renderKubernetes(manifest, { namespace: 'agents' });
    const [kustomization] = parseAllDocuments(custom['kustomization.yaml']!).map(
      (d) => d.toJS() as { namespace: string; resources: string[] },
    );
    expect(kustomization?.namespace).toBe('agents');
    expect([...(kustomization?.resources ?? [])].sort()).toEqual(
      Object.keys(custom)
        .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
        .sort(),
    );
    expect(custom['gateway.yaml']).toContain('atolye-fn-act.agents.svc.cluster.local');
    expect(custom['README.md']).toContain('create secret generic atolye-model');
  });
});

describe('kubernetes target: the orchestrators', () => {
  interface OrchestratorContainer extends Container {
    lifecycle?: { preStop?: { exec?: { command: string[] } } };
  }
  interface PodSpec {
    terminationGracePeriodSeconds: number;
    initContainers: OrchestratorContainer[];
    containers: OrchestratorContainer[];
    volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  }
  interface DeploymentShape {
    spec: {
      replicas: number;
      strategy: { type: string; rollingUpdate?: { maxUnavailable: number } };
      selector: { matchLabels: Record<string, string> };
      template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    };
  }
  const deployment = byKind('Deployment').find(
    (o) => o.metadata.name === 'atolye-orchestrator',
  ) as unknown as DeploymentShape;
  const pod = deployment.spec.template.spec;
  const [orchestrator] = pod.containers;

  it('runs two that share Postgres, at least one kept up through voluntary disruptions', () => {
    expect(deployment.spec.replicas).toBe(2);
    // A new pod is ready before an old one stops.
    expect(deployment.spec.strategy.rollingUpdate?.maxUnavailable).toBe(0);
    // Two pods on any two nodes: no claim they mount may be ReadWriteOnce.
    const modes = Object.fromEntries(
      byKind('PersistentVolumeClaim').map((claim) => [
        claim.metadata.name,
        (claim as unknown as { spec: { accessModes: string[] } }).spec.accessModes,
      ]),
    );
    const claims = pod.volumes.flatMap((v) => v.persistentVolumeClaim?.claimName ?? []);
    expect(claims.map((claim) => [claim, modes[claim]])).toEqual([
      ['atolye-workspaces', ['ReadWriteMany']],
    ]);
    const budgets = byKind('PodDisruptionBudget', 'policy/v1') as unknown as {
      spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    }[];
    expect(budgets.map((b) => b.spec.minAvailable)).toEqual([1]);
    const selector = budgets[0]!.spec.selector.matchLabels;
    expect(selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(selector);
  });

  it('migrates the schema in an init container with the image, environment and Secrets of the orchestrator', () => {
    expect(pod.initContainers.map((c) => c.args)).toEqual([['migrate']]);
    const [migrate] = pod.initContainers;
    expect(migrate?.image).toBe(orchestrator?.image);
    expect(migrate?.env).toEqual(orchestrator?.env);
    expect(orchestrator?.args).toEqual(['orchestrator']);
  });

  it('probes readiness and liveness, and leaves the Service before it stops so runs move over', () => {
    expect(orchestrator?.readinessProbe.httpGet?.path).toBe('/readyz');
    expect(orchestrator?.livenessProbe.httpGet.path).toBe('/healthz');
    const [sleep, seconds] = orchestrator?.lifecycle?.preStop?.exec?.command ?? [];
    expect(sleep).toBe('sleep');
    expect(Number(seconds)).toBeGreaterThan(0);
    // The grace period covers the preStop pause and a clean close after it.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(seconds) + 10);
  });
});
