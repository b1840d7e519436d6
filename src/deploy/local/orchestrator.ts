import path from 'node:path';
import { projectRoot, type AtolyeConfig } from '../../config/index.js';
import { AtolyeError, errorMessage } from '../../errors.js';
import { ServiceSupervisor, type HostLogger } from '../../runtime/host/index.js';
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
 */
export function orchestratorService(
  hostUrl: string,
  overrides: Record<string, string>,
  logger?: HostLogger,
  env: NodeJS.ProcessEnv = process.env,
): ServiceSupervisor {
  const sets = Object.entries(overrides).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
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
    },
    { logger },
  );
}

/** Waits until the orchestrator the host supervises has written its URL and answers /readyz. */
export async function waitForOrchestrator(
  config: AtolyeConfig,
  options: { timeoutMs?: number; notPid?: number } = {},
): Promise<OrchestratorState> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let problem = 'it has not written data/orchestrator.json yet';
  while (Date.now() < deadline) {
    const state = readOrchestratorState(config);
    if (state && state.pid !== options.notPid) {
      try {
        const response = await fetch(`${state.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
        const body = await response.text();
        if (response.ok) return state;
        problem = `its /readyz answered ${response.status}: ${body.slice(0, 300)}`;
      } catch (error) {
        problem = `its /readyz at ${state.url} did not answer: ${errorMessage(error)}`;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new AtolyeError(
    'ORCHESTRATOR_NOT_READY',
    `the orchestrator is not ready after ${timeoutMs / 1000} s: ${problem}; see logs/system.log and \`npx atolye status\``,
    { retryable: true },
  );
}
