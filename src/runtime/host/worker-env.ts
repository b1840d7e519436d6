import { SETTINGS_ENV, WORKER_ENV } from '../protocol.js';

/** Variables every worker gets from the host, when the host has them. */
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'NODE_ENV'] as const;

export interface WorkerEnvOptions {
  /** The function's declared secrets: the only other variables it may see. */
  secrets: readonly string[];
  /** The function's declared settings, resolved by the host; `{}` when it declares none. */
  settings?: Readonly<Record<string, unknown>>;
  /**
   * Folder of V8's compile cache (Node ≥ 22.1 reads NODE_COMPILE_CACHE before it compiles the
   * bundle, so a cold start reuses the code an earlier worker compiled; older Node ignores it).
   */
  compileCacheDir?: string;
  release: string;
  environment: string;
  /** Where values come from; the host's own environment by default. */
  source?: NodeJS.ProcessEnv;
}

/**
 * The complete environment of a worker process: a short allow-list, the host's identity, the
 * declared settings and the declared secrets. Everything else the host holds (other functions'
 * keys, the signing secret, NODE_OPTIONS, its configuration) stays out.
 */
export function workerEnv(options: WorkerEnvOptions): NodeJS.ProcessEnv {
  const source = options.source ?? process.env;
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  for (const name of options.secrets) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  env[WORKER_ENV] = 'ipc';
  env[SETTINGS_ENV] = JSON.stringify(options.settings ?? {});
  if (options.compileCacheDir !== undefined) env.NODE_COMPILE_CACHE = options.compileCacheDir;
  env.ATOLYE_RELEASE = options.release;
  env.ATOLYE_ENV = options.environment;
  return env;
}
