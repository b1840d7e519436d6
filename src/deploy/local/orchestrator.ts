import path from 'node:path';
import { loadConfig, projectRoot, type AtolyeConfig } from '../../config/index.js';
import { AtolyeError, errorMessage } from '../../errors.js';
import {
  failedChecks,
  parseReadiness,
  type ReadinessDocument,
} from '../../monitoring/readiness.js';
import {
  ServiceSupervisor,
  type HostLogger,
  type ServiceStatus,
} from '../../runtime/host/index.js';
import { hostStatus } from './admin-client.js';
import { busyPortFix } from './busy-port.js';
import { readOrchestratorState, type OrchestratorState } from './orchestrator-state.js';

// The state file lives apart so that the CLI finds the run API without loading the host runtime.
export {
  readOrchestratorState,
  removeOrchestratorState,
  writeOrchestratorState,
  type OrchestratorState,
} from './orchestrator-state.js';

/**
 * The orchestrator as a service of the worker host: `atolye orchestrator`, restarted with backoff
 * when it dies, told where the host serves the step functions, with the caller's `--set` flags.
 * The host listens on the run API's address itself and hands the connections to the orchestrator
 * of the moment, so a restart holds the API's clients instead of refusing them.
 */
export function orchestratorService(
  hostUrl: string,
  overrides: Record<string, string>,
  logger?: HostLogger,
  env: NodeJS.ProcessEnv = process.env,
): ServiceSupervisor {
  const sets = Object.entries(overrides).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
  const api = apiAddress(env, overrides, logger);
  return new ServiceSupervisor(
    {
      name: 'orchestrator',
      command: process.execPath,
      args: [path.join(projectRoot(), 'bin', 'atolye.js'), ...sets, 'orchestrator'],
      cwd: projectRoot(),
      env: { ...env, ATOLYE_HOST_URL: hostUrl, ATOLYE_LOG_FORWARD: 'stdout' },
      forwardsRecords: true,
      // Runs in flight are checkpointed; a stop leaves them for the next start to resume.
      stopGraceMs: 15_000,
      listen: api,
    },
    { logger },
  );
}

/**
 * api.bind and api.port as the orchestrator will read them: from the same environment and flags.
 * Undefined when they cannot be read; the orchestrator then listens itself, and reports the
 * configuration's problems when it starts.
 */
function apiAddress(
  env: NodeJS.ProcessEnv,
  overrides: Record<string, string>,
  logger?: HostLogger,
): { host: string; port: number } | undefined {
  try {
    const { api } = loadConfig({ environ: env, overrides }).config;
    return { host: api.bind, port: api.port };
  } catch (error) {
    logger?.system.warn(
      `the run API's address cannot be read from the configuration (${errorMessage(error)}): the orchestrator listens itself`,
      { service: 'orchestrator' },
    );
    return undefined;
  }
}

export interface WaitForOrchestratorOptions {
  timeoutMs?: number;
  /** An orchestrator that is still the old one (before a restart), not the one waited for. */
  notPid?: number;
  /**
   * The host that supervises it, and when (ms since the epoch) the start waited for began: an
   * exit after then means this start failed, and it is reported at once with the orchestrator's
   * last words instead of waiting out the timeout while the host restarts it in a loop.
   */
  host?: { url: string; since: number };
}

/** Waits until the orchestrator the host supervises has written its URL and answers /readyz. */
export async function waitForOrchestrator(
  config: AtolyeConfig,
  options: WaitForOrchestratorOptions = {},
): Promise<OrchestratorState> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let problem = 'it has not written data/orchestrator.json yet';
  let silentExitSeen = false;
  while (Date.now() < deadline) {
    const state = readOrchestratorState(config);
    if (state && state.pid !== options.notPid) {
      let body: string | undefined;
      try {
        const response = await fetch(`${state.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
        body = await response.text();
      } catch (error) {
        problem = `its /readyz at ${state.url} did not answer: ${errorMessage(error)}`;
      }
      if (body !== undefined) {
        // Something else may answer there until the orchestrator writes its own URL: wait on.
        const ready = readinessIn(body, `${state.url}/readyz`);
        if (typeof ready === 'string') problem = ready;
        else if (ready.status !== 'fail') return state;
        else problem = `its /readyz fails: ${failedChecks(ready)}`;
      }
    }
    if (options.host) {
      const exit = await exitSince(config, options.host);
      // Its stderr may reach the host just after its exit: a silent exit is trusted on a 2nd look.
      if (exit && (exit.stderr.length > 0 || silentExitSeen)) throw startFailed(config, exit);
      silentExitSeen = exit !== undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new AtolyeError(
    'ORCHESTRATOR_NOT_READY',
    `the orchestrator is not ready after ${timeoutMs / 1000} s: ${problem}; see logs/system.log and \`npx atolye status\``,
    { retryable: true },
  );
}

/** The readiness document in a /readyz body, or why it holds none. */
function readinessIn(body: string, source: string): ReadinessDocument | string {
  try {
    return parseReadiness(body, source);
  } catch (error) {
    return errorMessage(error);
  }
}

type ServiceExit = NonNullable<ServiceStatus['lastExit']>;

/** The orchestrator service's last exit, if it came after `since`: the start waited for failed. */
async function exitSince(
  config: AtolyeConfig,
  host: { url: string; since: number },
): Promise<ServiceExit | undefined> {
  const { services } = await hostStatus(config, host.url);
  const service = (services as ServiceStatus[]).find(
    (candidate) => candidate.name === 'orchestrator',
  );
  const exit = service?.lastExit;
  // Strictly after: a restart's stop ends before `since` is taken, possibly in the same ms.
  if (!exit || Date.parse(exit.at) <= host.since) return undefined;
  // A host started before stderr was kept reports none.
  return { ...exit, stderr: Array.isArray(exit.stderr) ? exit.stderr : [] };
}

function startFailed(config: AtolyeConfig, exit: ServiceExit): AtolyeError {
  const how = exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;
  const words = exit.stderr.join('\n') || '(nothing on stderr; see logs/system.log)';
  return new AtolyeError(
    'ORCHESTRATOR_START_FAILED',
    `the orchestrator (the run API) exited with ${how} while starting:\n${words}` +
      busyPortFix(words, { key: 'api.port', env: 'ATOLYE_API_PORT', port: config.api.port }),
  );
}
