import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { AtolyeConfig } from '../config/index.js';
import { AtolyeError } from '../errors.js';
import type { HostStatus } from '../deploy/local/admin-client.js';
import type { DeployResult } from '../runtime/host/deployer.js';
import { loadCliConfig, type CliContext } from './context.js';
import { table } from './table.js';
import { registerTypeScript } from './typescript.js';

/**
 * The deploy targets, for `--help` (deploy/targets.ts is loaded on use, with the renderers and the
 * bundler it imports); tests/unit/cli/help.test.ts holds the two lists equal.
 */
const TARGETS = ['local', 'docker', 'kubernetes', 'modal'];

export function registerHostCommands(program: Command, cli: CliContext): void {
  program
    .command('host')
    .description('Run the worker host in the foreground (npm run deploy starts it as a daemon)')
    .option(
      '--port <port>',
      'listen on this port instead of host.port (0 = any free port)',
      parsePort,
    )
    .option('--no-orchestrator', 'serve the functions only, without the orchestrator service')
    .option(
      '--supervise',
      'run the host as a child process and restart it with backoff when it dies (npm run deploy does)',
    )
    .action(async (options: HostFlags) => {
      const config = await loadCliConfig(cli);
      if (options.supervise) {
        const { superviseHost } = await import('../deploy/local/supervisor.js');
        cli.output.err(`supervising the worker host (supervisor pid ${process.pid})`);
        const end = await superviseHost(config, { ...options, overrides: cli.overrides() });
        if (end.reason === 'start-failed') throw new AtolyeError('HOST_START_FAILED', end.message);
        if (end.reason === 'crash-loop') throw new AtolyeError('HOST_CRASH_LOOP', end.message);
        if (end.reason === 'failed') throw new AtolyeError('HOST_SUPERVISOR_FAILED', end.message);
        return;
      }
      const { startHost } = await import('../deploy/local/host.js');
      const { orchestratorService } = await import('../deploy/local/orchestrator.js');
      const host = await startHost(config, {
        port: options.port,
        services: (hostUrl, logger) =>
          options.orchestrator
            ? [orchestratorService(hostUrl, cli.overrides(), logger, cli.env)]
            : [],
      });
      const stop = (): void => void host.close();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      cli.output.err(`worker host listening on ${host.address.url} (pid ${process.pid})`);
      await host.closed;
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    });

  program
    .command('deploy')
    .description(
      'Typecheck, bundle every function, start the host if needed, deploy, wait until ready',
    )
    .option('--env <env>', 'environment to deploy with (development, production, testing)')
    .option('--target <target>', `deploy target: ${TARGETS.join(', ')}`, 'local')
    .option(
      '--out <dir>',
      'local: the build folder (default dist); other targets: where the artefacts go (default deploy/<target>)',
    )
    .option('--dist <dir>', 'docker, kubernetes, modal: the build holding manifest.json', 'dist')
    .option('--no-typecheck', 'skip the typecheck')
    .action(async (options: DeployFlags) => {
      const { generateTarget, parseTarget } = await import('../deploy/targets.js');
      if (parseTarget(options.target) !== 'local') {
        const generated = await generateTarget(options.target, {
          distDir: options.dist,
          outDir: options.out,
        });
        const files = generated.files.map((file) => `  ${path.join(generated.outDir, file)}`);
        cli.output.out(
          `${generated.target} artefacts for build ${generated.manifestVersion}:\n${files.join('\n')}`,
        );
        return;
      }
      const config = await loadCliConfig(cli, options.env);
      const { ensureSystemPackages, runtimePackages } = await import('./system-check.js');
      ensureSystemPackages('the local deploy', runtimePackages(config.sandbox.mode), {
        env: cli.env,
      });
      const { deployLocal } = await import('../deploy/local/deploy.js');
      await registerTypeScript();
      const report = await deployLocal(config, {
        typecheck: options.typecheck,
        outDir: options.out ?? 'dist',
        hostArgs: Object.entries(cli.overrides()).flatMap(([key, value]) => [
          '--set',
          `${key}=${value}`,
        ]),
        hostEnv: cli.env,
        progress: (line) => cli.output.err(`… ${line}`),
      });
      const { modelKeyAdvice, readinessOf } = await import('./readiness.js');
      const hostReady = await readinessOf(report.host.url);
      cli.output.out(
        describeDeploy(report.host.url, report.result, report.status, report.startedHost),
      );
      if (report.api) cli.output.out(describeApi(report.api.url));
      const advice = modelKeyAdvice(hostReady);
      if (advice) cli.output.out(advice);
      if (report.api) cli.output.out(nextSteps(report.api.url));
    });

  program
    .command('rollback')
    .description('Re-deploy the deployment that was live before the current one')
    .action(async () => {
      const config = await loadCliConfig(cli);
      const { adminCall, hostStatus } = await import('../deploy/local/admin-client.js');
      const host = await requireHost(config);
      const result = await adminCall<DeployResult>(config, host.url, 'POST', '/admin/rollback');
      cli.output.out(describeDeploy(host.url, result, await hostStatus(config, host.url), false));
    });

  program
    .command('status')
    .description('Show the worker host, its functions, versions, workers, URLs and readiness')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { json?: boolean }) => {
      const config = await loadCliConfig(cli);
      const { findRunningHost, readSupervisorState } = await import('../deploy/local/daemon.js');
      const host = await findRunningHost(config);
      const supervisor = readSupervisorState(config) ?? null;
      if (!host) {
        if (options.json) {
          cli.output.out(JSON.stringify({ running: false, ...(supervisor ? { supervisor } : {}) }));
        }
        if (supervisor) {
          throw new AtolyeError(
            'HOST_RESTARTING',
            `the worker host is not answering; its supervisor (pid ${supervisor.pid}) is restarting it ` +
              `(${supervisor.restarts} restarts so far): try again in a moment, and see ` +
              `${path.join(config.logging.dir, 'host.out')} and the errors channel for why it died`,
            { retryable: true },
          );
        }
        throw new AtolyeError(
          'HOST_NOT_RUNNING',
          'no worker host is running; start one with `npm run deploy`',
        );
      }
      const { hostStatus } = await import('../deploy/local/admin-client.js');
      const { readOrchestratorState } = await import('../deploy/local/orchestrator-state.js');
      // Loaded on use, with the readiness schema (zod): `atolye --help` should not pay for it.
      const { describeReadiness, modelKeyAdvice, readinessOf } = await import('./readiness.js');
      const api = readOrchestratorState(config);
      const [status, hostReady, apiReady] = await Promise.all([
        hostStatus(config, host.url),
        readinessOf(host.url),
        api ? readinessOf(api.url) : undefined,
      ]);
      if (options.json) {
        cli.output.out(
          JSON.stringify(
            {
              running: true,
              url: host.url,
              apiUrl: api?.url ?? null,
              endpoints: endpoints(host.url, status),
              ...status,
              readiness: { host: hostReady, orchestrator: apiReady ?? null },
              supervisor,
            },
            null,
            2,
          ),
        );
        return;
      }
      cli.output.out(
        `worker host ${host.url} (pid ${host.pid}, up ${String(status.host.uptimeS)} s)\n`,
      );
      if (supervisor) {
        cli.output.out(
          `supervised by pid ${supervisor.pid}: restarted when it dies (${supervisor.restarts} restarts so far)\n`,
        );
      }
      cli.output.out(functionTable(host.url, status));
      cli.output.out(
        api ? describeApi(api.url) : '\nrun API: not running (see `services` in status --json)',
      );
      cli.output.out(describeReadiness('host', hostReady));
      if (apiReady) cli.output.out(describeReadiness('orchestrator', apiReady));
      const advice = modelKeyAdvice(hostReady);
      if (advice) cli.output.out(advice);
      if (typeof status.host.restoreError === 'string') {
        cli.output.err(`warning: ${status.host.restoreError}`);
      }
    });

  program
    .command('down')
    .description(
      'Stop the worker host gracefully (calls in flight finish first), and its supervisor',
    )
    .action(async () => {
      const config = await loadCliConfig(cli);
      const { findRunningHost, processAlive, readSupervisorState, stopSupervisor, waitForExit } =
        await import('../deploy/local/daemon.js');
      const { adminCall } = await import('../deploy/local/admin-client.js');
      const host = await findRunningHost(config);
      const supervisor = readSupervisorState(config);
      if (!host && !supervisor) {
        cli.output.out('no worker host is running');
        return;
      }
      if (host) {
        // A host that exits cleanly is not restarted: its supervisor ends with it.
        await adminCall(config, host.url, 'POST', '/admin/shutdown');
        if (!(await waitForExit(host.pid, 60_000))) {
          // Told first, the supervisor takes the kill for the stop it is, not a crash.
          if (supervisor && processAlive(supervisor.pid)) process.kill(supervisor.pid, 'SIGTERM');
          process.kill(host.pid, 'SIGKILL');
          if (supervisor) await stopSupervisor(supervisor);
          throw new AtolyeError(
            'HOST_STOP_TIMEOUT',
            `the host (pid ${host.pid}) did not stop within 60 s and was killed`,
          );
        }
      }
      if (supervisor && !(await waitForExit(supervisor.pid, 5_000)))
        await stopSupervisor(supervisor);
      cli.output.out(
        host
          ? `worker host ${host.url} stopped`
          : `the supervisor (pid ${supervisor?.pid}) of the worker host stopped; the host was not running`,
      );
    });
}

interface HostFlags {
  port?: number;
  orchestrator: boolean;
  supervise?: boolean;
}

async function requireHost(config: AtolyeConfig) {
  const { findRunningHost } = await import('../deploy/local/daemon.js');
  const host = await findRunningHost(config);
  if (!host)
    throw new AtolyeError(
      'HOST_NOT_RUNNING',
      'no worker host is running; start one with `npm run deploy`',
    );
  return host;
}

function describeDeploy(
  url: string,
  result: DeployResult,
  status: HostStatus,
  startedHost: boolean,
): string {
  const byName = new Map(result.functions.map((fn) => [fn.name, fn]));
  const rows = byNameOrder(status.functions).map((pool) => {
    const deployed = byName.get(pool.name);
    return [
      pool.name,
      pool.version,
      deployed?.change ?? 'kept',
      `${url}/fn/${pool.name}`,
      String(pool.workers.total),
      deployed?.coldStartMs === undefined ? '-' : String(deployed.coldStartMs),
    ];
  });
  const removed = result.functions.filter((fn) => fn.change === 'removed').map((fn) => fn.name);
  return [
    `deployment ${result.deploymentId ?? '-'} (build ${result.version}) is live${startedHost ? ' on a newly started host' : ''}`,
    '',
    table(['function', 'version', 'change', 'endpoint', 'workers', 'cold start ms'], rows),
    ...(removed.length > 0 ? ['', `removed: ${removed.join(', ')}`] : []),
    '',
    `health   ${url}/healthz   ${url}/readyz`,
    `metrics  ${url}/metrics`,
    `status   npx atolye status    stop: npx atolye down`,
  ].join('\n');
}

/** The run API and the dashboard it serves at its root. */
function describeApi(url: string): string {
  return ['', `run API  ${url}   (reference: ${url}/docs)`, `dashboard ${url}/`].join('\n');
}

/** What a new user does after the first deploy. */
function nextSteps(url: string): string {
  return [
    '',
    'next:',
    '  1. create an API key (printed once):  npx atolye keys create --name me',
    '     then export ATOLYE_API_KEY=<the key> for the CLI',
    `  2. open the dashboard and sign in with the key:  ${url}/`,
    '  3. run a task:  npx atolye run "write a CSV-to-JSON CLI with tests"',
  ].join('\n');
}

function functionTable(url: string, status: HostStatus): string {
  const rows = byNameOrder(status.functions).map((pool) => [
    pool.name,
    pool.version,
    pool.health.status,
    `${pool.workers.total} (${pool.workers.busy} busy, ${pool.workers.idle} idle)`,
    String(pool.queued),
    String(pool.invocations),
    `${url}/fn/${pool.name}`,
  ]);
  return table(['function', 'version', 'health', 'workers', 'queued', 'calls', 'endpoint'], rows);
}

function endpoints(url: string, status: HostStatus): Record<string, string> {
  return {
    healthz: `${url}/healthz`,
    readyz: `${url}/readyz`,
    metrics: `${url}/metrics`,
    ...Object.fromEntries(status.functions.map((pool) => [pool.name, `${url}/fn/${pool.name}`])),
  };
}

interface DeployFlags {
  env?: string;
  target: string;
  out?: string;
  dist: string;
  typecheck: boolean;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError(`--port must be a whole number from 0 to 65535, got "${value}"`);
  }
  return port;
}

/**
 * By name, compared by code unit: function names are ASCII folder names, and the first
 * `localeCompare` of a process loads ICU's collation data (about 50 ms, `atolye status`'s largest cost).
 */
function byNameOrder(pools: HostStatus['functions']): HostStatus['functions'] {
  return [...pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
