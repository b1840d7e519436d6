import type { ManifestFunction } from '../../runtime/bundle/index.js';
import { CORE_GROUP, functionSecrets, type SecretSource } from '../docker/runtime-env.js';
import type { YamlValue } from './yaml.js';

/** Plain settings first (in their given order), then each secret by reference, never by value. */
export function envVars(
  plain: Readonly<Record<string, string>>,
  secrets: readonly SecretSource[],
): YamlValue[] {
  return [
    ...Object.entries(plain).map(([name, value]) => ({ name, value })),
    ...secrets.map((secret) => ({
      name: secret.name,
      valueFrom: {
        secretKeyRef: {
          name: secret.group,
          key: secret.name,
          ...(secret.required ? {} : { optional: true }),
        },
      },
    })),
  ];
}

export function coreSecrets(names: readonly string[]): SecretSource[] {
  return names.map((name) => ({ name, group: CORE_GROUP, required: true }));
}

/** The Secrets the objects refer to, with every key they read: what an operator must create. */
export function secretKeys(
  functions: readonly ManifestFunction[],
  core: readonly string[],
): Record<string, string[]> {
  const groups = new Map<string, Set<string>>([[CORE_GROUP, new Set(core)]]);
  for (const secret of functions.flatMap((fn) => functionSecrets(fn))) {
    const keys = groups.get(secret.group) ?? new Set<string>();
    keys.add(secret.name);
    groups.set(secret.group, keys);
  }
  return Object.fromEntries(
    [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([group, keys]) => [group, [...keys].sort()]),
  );
}

export const LABELS = { 'app.kubernetes.io/part-of': 'atolye-sefi' } as const;

export function labels(
  component: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...LABELS, 'app.kubernetes.io/component': component, ...extra };
}

/** The non-root user of the image; fsGroup makes the mounted volumes writable for it. */
export const POD_SECURITY = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  fsGroup: 10001,
};
