import { WORKER_ENV } from '../protocol.js';

/** Variables every worker gets from the host, when the host has them. */
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'NODE_ENV'] as const;

export interface WorkerEnvOptions {
  /** The function's declared secrets: the only other variables it may see. */
  secrets: readonly string[];
  release: string;
  environment: string;
  /** Where values come from; the host's own environment by default. */
  source?: NodeJS.ProcessEnv;
}

/**
 * The complete environment of a worker process: a short allow-list, the host's identity and the
 * declared secrets. Everything else the host holds (other functions' keys, the signing secret,
 * NODE_OPTIONS) stays out.
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
  env.ATOLYE_RELEASE = options.release;
  env.ATOLYE_ENV = options.environment;
  return env;
}
