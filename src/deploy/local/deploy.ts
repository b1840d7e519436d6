import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot, resolveFromRoot, type AtolyeConfig } from '../../config/index.js';
import { AtolyeError, errorMessage } from '../../errors.js';
import { failedChecks, parseReadiness } from '../../monitoring/readiness.js';
import { buildFunctions } from '../../runtime/bundle/index.js';
import type { DeployResult } from '../../runtime/host/deployer.js';
import { adminCall, hostStatus, type HostStatus } from './admin-client.js';
import { findRunningHost, startHostDaemon, stopHostDaemon, type HostState } from './daemon.js';
import {
  readOrchestratorState,
  waitForOrchestrator,
  type OrchestratorState,
} from './orchestrator.js';

// The admin client lives apart so that `atolye status` need not load the bundler to ask the host.
export { adminCall, hostStatus, type HostStatus };

export interface DeployOptions {
  typecheck?: boolean;
  outDir?: string;
  /** CLI arguments for a host this deploy starts (the caller's --set overrides). */
  hostArgs?: string[];
  /** The environment of a host this deploy starts; this process's by default. */
  hostEnv?: NodeJS.ProcessEnv;
  /** Progress lines for the person waiting. */
  progress?: (line: string) => void;
}

export interface DeployReport {
  host: HostState;
  startedHost: boolean;
  result: DeployResult;
  status: HostStatus;
  /** The orchestrator serving the run API, when the host runs one. */
  api?: OrchestratorState;
}

/**
 * `npm run deploy` on one machine: typecheck, build every bundle, start the worker host as a
 * daemon when none runs, push the manifest, and wait until every function is ready.
 */
export async function deployLocal(
  config: AtolyeConfig,
  options: DeployOptions = {},
): Promise<DeployReport> {
  const progress = options.progress ?? (() => undefined);
  if (options.typecheck !== false) {
    progress('typechecking');
    typecheck();
  }
  progress('building bundles');
  const outDir = resolveFromRoot(options.outDir ?? 'dist');
  const manifest = await buildFunctions({ outDir });

  let host = await findRunningHost(config);
  const startedHost = host === undefined;
  const hostStartedAt = Date.now();
  if (!host) {
    progress('starting the worker host');
    host = await startHostDaemon(config, { args: options.hostArgs, env: options.hostEnv });
  }
  progress(`deploying ${manifest.functions.length} function(s) to ${host.url}`);
  const result = await adminCall<DeployResult>(config, host.url, 'POST', '/admin/deployments', {
    manifest,
    distDir: outDir,
  });
  const status = await waitUntilReady(config, host.url);
  const supervised = status.services.some(
    (service) => (service as { name?: unknown }).name === 'orchestrator',
  );
  if (!supervised) return { host, startedHost, result, status };
  const previous = startedHost ? undefined : readOrchestratorState(config);
  if (previous) {
    // It runs the code of the previous deploy; its unfinished runs resume in the new process.
    progress('restarting the orchestrator with the new code');
    await adminCall(config, host.url, 'POST', '/admin/services/restart');
  }
  // A host already running may have restarted its orchestrator before: only later exits count.
  const since = startedHost ? hostStartedAt : Date.now();
  progress('waiting for the orchestrator');
  try {
    const api = await waitForOrchestrator(config, {
      notPid: previous?.pid,
      host: { url: host.url, since },
    });
    return { host, startedHost, result, status, api };
  } catch (error) {
    if (!startedHost) throw error;
    throw await withHostStopped(config, host, error);
  }
}

/**
 * A host this deploy started whose orchestrator does not come up would go on restarting it,
 * holding its own port and the build: stop it (and its supervisor, and so the orchestrator), and
 * say so after the cause. A host that ran before the deploy stays, with its last good state.
 */
async function withHostStopped(
  config: AtolyeConfig,
  host: HostState,
  cause: unknown,
): Promise<AtolyeError> {
  const known = cause instanceof AtolyeError ? cause : undefined;
  let after: string;
  try {
    await stopHostDaemon(config, host);
    after = `the worker host this deploy started (pid ${host.pid}) is stopped again; nothing was left running`;
  } catch (error) {
    after = `the worker host this deploy started (pid ${host.pid}) could not be stopped: ${errorMessage(error)}; stop it with \`npx atolye down\``;
  }
  return new AtolyeError(known?.code ?? 'DEPLOY_FAILED', `${errorMessage(cause)}\n${after}`, {
    retryable: known?.retryable,
    cause,
  });
}

async function waitUntilReady(
  config: AtolyeConfig,
  url: string,
  timeoutMs = 30_000,
): Promise<HostStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let body: string;
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      body = await response.text();
    } catch (error) {
      // The host died or hung after accepting the deploy: say so instead of a fetch stack trace.
      throw new AtolyeError(
        'HOST_UNREACHABLE',
        `the worker host at ${url} stopped answering /readyz: ${errorMessage(error)}`,
        {
          retryable: true,
        },
      );
    }
    const health = parseReadiness(body, `the worker host's ${url}/readyz`);
    if (health.status !== 'fail') return hostStatus(config, url);
    if (Date.now() > deadline) {
      throw new AtolyeError(
        'DEPLOY_NOT_READY',
        `the host is not ready after ${timeoutMs / 1000} s: ${failedChecks(health)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function typecheck(): void {
  const tsc = path.join(projectRoot(), 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '-p', projectRoot()], {
    encoding: 'utf8',
    cwd: projectRoot(),
  });
  if (result.status !== 0) {
    throw new AtolyeError(
      'DEPLOY_TYPECHECK_FAILED',
      `typecheck failed, nothing was deployed (skip with --no-typecheck):\n${(result.stdout + result.stderr).trim()}`,
    );
  }
}
