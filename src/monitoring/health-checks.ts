import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AtolyeConfig } from '../config/index.js';
import { resolveFromRoot } from '../config/paths.js';
import { errorMessage } from '../errors.js';
import type { ReadinessCheck, ReadinessProbe } from './readiness.js';

/**
 * Readiness checks both services share: each names one `component:measurement` and says pass,
 * warn or fail (readiness.ts is the document /readyz renders them into). A `fail` means the
 * service cannot do its work (readiness 503); a `warn` is worth a look but leaves it ready.
 */

const MIB = 1024 * 1024;

/** The configuration was loaded and validated, or the process would not have started. */
export function configurationCheck(config: Pick<AtolyeConfig, 'env'>): ReadinessCheck {
  return { status: 'pass', output: `the ${config.env} configuration is loaded and valid` };
}

/** Writes and deletes a probe file: log lines that cannot be written are lost silently. */
export async function logDirectoryCheck(dir: string): Promise<ReadinessCheck> {
  const probe = path.join(dir, `.health-${randomUUID()}`);
  try {
    await writeFile(probe, '');
    await rm(probe);
    return { status: 'pass' };
  } catch (error) {
    return {
      status: 'fail',
      output: `the log directory ${dir} is not writable (logging.dir): ${errorMessage(error)}`,
    };
  }
}

export interface DiskThresholds {
  /** Below this many free bytes: warn. */
  warnBytes: number;
  /** Below this share of the filesystem free: warn. */
  warnRatio: number;
  /** Below this many free bytes: fail, the stores and logs are about to stop. */
  failBytes: number;
}

export const DEFAULT_DISK_THRESHOLDS: DiskThresholds = {
  warnBytes: 1024 * MIB,
  warnRatio: 0.05,
  failBytes: 100 * MIB,
};

/** Free space on the filesystem holding `dir` (or its nearest existing parent), in MiB. */
export async function freeDiskCheck(
  dir: string,
  thresholds: DiskThresholds = DEFAULT_DISK_THRESHOLDS,
): Promise<ReadinessCheck> {
  let target = dir;
  while (!existsSync(target) && path.dirname(target) !== target) target = path.dirname(target);
  try {
    const stats = await statfs(target);
    const free = stats.bavail * stats.bsize;
    const ratio = stats.blocks > 0 ? stats.bavail / stats.blocks : 1;
    const observed = { observedValue: Math.floor(free / MIB), observedUnit: 'MiB' };
    const summary = `${observed.observedValue} MiB (${(ratio * 100).toFixed(1)}%) free on the filesystem of ${dir}`;
    if (free < thresholds.failBytes) return { status: 'fail', output: summary, ...observed };
    if (free < thresholds.warnBytes || ratio < thresholds.warnRatio) {
      return { status: 'warn', output: summary, ...observed };
    }
    return { status: 'pass', ...observed };
  } catch (error) {
    return { status: 'fail', output: `cannot read free space of ${dir}: ${errorMessage(error)}` };
  }
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * GET `<baseUrl>/models`, answered within `timeoutMs`. Only ever a warning: a model server that is
 * down fails runs, not the service, and readiness must not take the service out of rotation for
 * it. Not probed when neither a key nor a base URL is configured: there is nothing to ask.
 */
export async function modelEndpointCheck(
  model: Pick<AtolyeConfig['model'], 'baseUrl' | 'apiKey'>,
  timeoutMs = 2_000,
): Promise<ReadinessCheck> {
  if (model.apiKey === '' && model.baseUrl === '') {
    return {
      status: 'pass',
      output: 'not probed: neither model.apiKey (OPENAI_API_KEY) nor model.baseUrl is set',
    };
  }
  const url = `${(model.baseUrl || OPENAI_BASE_URL).replace(/\/+$/, '')}/models`;
  const started = performance.now();
  try {
    const response = await fetch(url, {
      headers: model.apiKey ? { authorization: `Bearer ${model.apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    const observed = { observedValue: Math.round(performance.now() - started), observedUnit: 'ms' };
    if (response.ok) return { status: 'pass', ...observed };
    const why =
      response.status === 401 || response.status === 403
        ? 'refused the key (model.apiKey)'
        : `answered ${response.status}`;
    return { status: 'warn', output: `the model server at ${url} ${why}`, ...observed };
  } catch (error) {
    return {
      status: 'warn',
      output: `the model server at ${url} is unreachable: ${errorMessage(error)}`,
    };
  }
}

/**
 * Without a model key every run fails at its first model step (MODEL_KEY_MISSING), even against a
 * local server that ignores keys: a warning, so readiness says so while the service stays up.
 */
export function modelKeyCheck(model: Pick<AtolyeConfig['model'], 'apiKey'>): ReadinessCheck {
  if (model.apiKey !== '') return { status: 'pass' };
  return {
    status: 'warn',
    output:
      'no model key (model.apiKey, OPENAI_API_KEY): every run fails with MODEL_KEY_MISSING until one is set',
  };
}

/** A DSN sends errors to Sentry; without one only production warns, elsewhere it is the norm. */
export function sentryCheck(
  config: Pick<AtolyeConfig, 'env'> & { sentry: Pick<AtolyeConfig['sentry'], 'dsn'> },
): ReadinessCheck {
  if (config.sentry.dsn !== '') return { status: 'pass' };
  const output = 'no sentry.dsn (SENTRY_DSN): errors are only logged, not reported';
  return config.env === 'production' ? { status: 'warn', output } : { status: 'pass', output };
}

export interface ServiceChecksOptions {
  /**
   * The service's own checks by `component:measurement`, run beside the shared ones (the worker
   * host passes the sandbox's: monitoring knows nothing of what it checks).
   */
  own?: Record<string, () => ReadinessCheck>;
  /** Probe the model endpoint (where the model-calling steps run). */
  model?: boolean;
  disk?: DiskThresholds;
  modelTimeoutMs?: number;
  /** How long one model probe's answer is reused, so frequent readiness probes stay cheap. */
  modelCacheMs?: number;
}

/** The shared checks for one service, run together; the service adds its own beside them. */
export function serviceChecks(
  config: AtolyeConfig,
  options: ServiceChecksOptions = {},
): ReadinessProbe {
  const logDir = resolveFromRoot(config.logging.dir);
  const dataDir = resolveFromRoot(config.storage.dataDir);
  const modelCacheMs = options.modelCacheMs ?? 30_000;
  let cached: { at: number; check: Promise<ReadinessCheck> } | undefined;
  const model = (): Promise<ReadinessCheck> => {
    if (cached === undefined || performance.now() - cached.at > modelCacheMs) {
      cached = {
        at: performance.now(),
        check: modelEndpointCheck(config.model, options.modelTimeoutMs),
      };
    }
    return cached.check;
  };
  return async () => {
    const [logs, disk, modelCheck] = await Promise.all([
      logDirectoryCheck(logDir),
      freeDiskCheck(dataDir, options.disk),
      options.model ? model() : undefined,
    ]);
    const own = Object.entries(options.own ?? {}).map(([name, check]) => [name, check()]);
    return {
      'configuration:valid': configurationCheck(config),
      'logs:writable': logs,
      'disk:free': disk,
      ...Object.fromEntries(own),
      ...(options.model ? { 'model:configured': modelKeyCheck(config.model) } : {}),
      ...(modelCheck ? { 'model:reachable': modelCheck } : {}),
      'sentry:configured': sentryCheck(config),
    };
  };
}
