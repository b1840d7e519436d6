import { APPROVAL_KEY_ENV } from '../../agent/approval/signature.js';
import { settingVariables } from '../../config/settings.js';
import { MODEL_KEY_SECRET, type ManifestFunction } from '../../runtime/bundle/index.js';

/**
 * The container contract every remote target shares: where the image keeps things, which ports its
 * roles listen on, and which environment each role needs. Kubernetes runs this image; Modal copies
 * the same entrypoint into its own image.
 */
export const IMAGE = {
  name: 'atolye-sefi',
  appDir: '/app',
  distDir: '/app/dist',
  entrypoint: '/app/docker-entrypoint.mjs',
  workspaces: '/workspaces',
  dataDir: '/app/data',
  user: 'atolye',
  uid: 10001,
} as const;

export const PORTS = { host: 8787, api: 8080 } as const;

/** The image tag: the build version, so a new build is a new revision everywhere. */
export function imageRef(manifestVersion: string): string {
  return `${IMAGE.name}:${manifestVersion}`;
}

/** Configuration every container sets itself (not secret, the same on every target). */
export const BASE_ENV: Readonly<Record<string, string>> = {
  ATOLYE_ENV: 'production',
  ATOLYE_LOG_CONSOLE: 'true',
  ATOLYE_WORKSPACE_ROOT: IMAGE.workspaces,
};

/** Environment of the worker-host role (all functions, or one). */
export const HOST_ENV: Readonly<Record<string, string>> = {
  ...BASE_ENV,
  ATOLYE_SERVICE: 'host',
  ATOLYE_HOST_BIND: '0.0.0.0',
  ATOLYE_HOST_PORT: String(PORTS.host),
};

/** Environment of the orchestrator role; ATOLYE_HOST_URL is the target's business. */
export const ORCHESTRATOR_ENV: Readonly<Record<string, string>> = {
  ...BASE_ENV,
  ATOLYE_SERVICE: 'orchestrator',
  ATOLYE_API_BIND: '0.0.0.0',
  ATOLYE_API_PORT: String(PORTS.api),
};

/** Secrets every host needs to verify calls and accept its own deploy; never the model key. */
export const CORE_SECRETS = ['ATOLYE_SIGNING_SECRET', 'ATOLYE_ADMIN_TOKEN'] as const;
/** The orchestrator's secrets: it signs calls and keeps checkpoints in Postgres. */
export const ORCHESTRATOR_SECRETS = [...CORE_SECRETS, 'ATOLYE_STORAGE_URL'] as const;

/** Where a secret lives: its group (a Kubernetes Secret, a Modal Secret) and whether it must exist. */
export interface SecretSource {
  name: string;
  group: string;
  required: boolean;
}

const MODEL_SETTING = /^(OPENAI_|ATOLYE_MODEL)/;

/**
 * The variables one function's container should be given from the platform's secret store: its
 * declared secrets, and the variables of its declared settings (the container's host resolves
 * the settings from its own environment and hands the worker only those). Settings the image
 * fixes itself (BASE_ENV, e.g. the workspace root) are left out; model variables share one
 * group; anything else is the function's own group. Only an API key is required: the rest fall
 * back to the configuration defaults.
 */
export function functionSecrets(
  fn: Pick<ManifestFunction, 'name' | 'secrets' | 'settings'>,
): SecretSource[] {
  return (
    [...new Set([...fn.secrets, ...settingVariables(fn.settings ?? [])])]
      // The approval key is derived by each host from its signing secret, never stored apart.
      .filter((name) => !(name in BASE_ENV) && name !== APPROVAL_KEY_ENV)
      .sort()
      .map((name) => ({
        name,
        group: MODEL_SETTING.test(name) ? 'atolye-model' : `atolye-fn-${fn.name}`,
        required: MODEL_KEY_SECRET.test(name),
      }))
  );
}

export const CORE_GROUP = 'atolye-core';

/** Seconds, rounded up: a platform must never cut a call shorter than the declaration allows. */
export function timeoutSeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000);
}
