import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AtolyeConfig } from '../../../src/config/index.js';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { orchestratorService } from '../../../src/deploy/local/orchestrator.js';
import { createLogging, type Logging, type LogRecord } from '../../../src/logging/index.js';
import {
  createExecutor,
  type Executor,
  type ExecutorOptions,
} from '../../../src/orchestrator/index.js';
import { build, deployOk, hostConfig } from '../deploy/helpers.js';

export const FUNCTIONS_DIR = fileURLToPath(new URL('./fixtures/functions', import.meta.url));

/** A worker host on an ephemeral port serving the scripted step functions. */
export interface StepHost {
  host: RunningHost;
  config: AtolyeConfig;
  url: string;
  /** The build deployed to it, whose manifest declares the steps' retries (`dist` at the root if absent). */
  distDir?: string;
  stop(): Promise<void>;
}

/**
 * Builds the fixture steps into `<root>/dist` and deploys them to a host whose data and logs live
 * under `root`; the fixtures journal their calls in `fixtureDir`.
 */
export async function startStepHost(
  root: string,
  fixtureDir: string,
  options: { overrides?: Record<string, string>; functionsDir?: string } = {},
): Promise<StepHost> {
  const config = hostConfig(
    path.join(root, 'host-data'),
    path.join(root, 'host-logs'),
    options.overrides,
  );
  const logging: Logging = createLogging(config, { service: 'host', release: 'test-release' });
  const host = await startHost(config, {
    port: 0,
    logging,
    env: { ...process.env, ORCH_FIXTURE_DIR: fixtureDir },
  });
  const stop = async (): Promise<void> => {
    await host.close();
    await logging.close();
  };
  const distDir = path.join(root, 'dist');
  try {
    await deployOk(
      { url: host.address.url, config },
      await build(options.functionsDir ?? FUNCTIONS_DIR, distDir),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, config, url: host.address.url, distDir, stop };
}

/**
 * An executor driving `stepHost`'s steps with the retries its build declares, 50 ms apart and
 * without jitter; `options` gives its data directory and anything a test changes.
 */
export function createStepExecutor(
  stepHost: StepHost,
  options: Pick<ExecutorOptions, 'dataDir'> & Partial<ExecutorOptions>,
): Executor {
  return createExecutor({
    config: stepHost.config,
    hostUrl: stepHost.url,
    signingSecret: stepHost.config.security.signingSecret,
    retry: { initialInterval: 50, jitter: false },
    distDir: stepHost.distDir,
    ...options,
  });
}

/** A worker host on an ephemeral port supervising a real `atolye orchestrator` process. */
export interface OrchestratorHost {
  host: RunningHost;
  config: AtolyeConfig;
  url: string;
  dataDir: string;
  logDir: string;
  stop(): Promise<void>;
}

/**
 * The orchestrator as `npm run deploy` runs it: a real `atolye orchestrator` process that a real
 * worker host starts, restarts and hands the run API's connections to. Host and orchestrator share
 * `<root>/data` and `<root>/logs`; the runs' workspaces are `<root>/workspaces`. `env` is the
 * environment the host starts its workers from.
 */
export async function startOrchestratorHost(
  root: string,
  env?: NodeJS.ProcessEnv,
): Promise<OrchestratorHost> {
  const dataDir = path.join(root, 'data');
  const logDir = path.join(root, 'logs');
  const config = hostConfig(dataDir, logDir);
  const logging = createLogging(config, { service: 'host', release: 'test-release' });
  const orchestratorEnv = {
    ...process.env,
    ATOLYE_ENV: 'testing',
    ATOLYE_DATA_DIR: dataDir,
    ATOLYE_LOG_DIR: logDir,
    ATOLYE_API_PORT: '0',
    ATOLYE_WORKSPACE_ROOT: path.join(root, 'workspaces'),
  };
  let host: RunningHost;
  try {
    host = await startHost(config, {
      port: 0,
      logging,
      env,
      services: (url, logger) => [orchestratorService(url, {}, logger, orchestratorEnv)],
    });
  } catch (error) {
    await logging.close();
    throw error;
  }
  const stop = async (): Promise<void> => {
    await host.close();
    await logging.close();
  };
  return { host, config, url: host.address.url, dataDir, logDir, stop };
}

/** The fixtures' journal: `[step, detail]` for each call of one run, in call order. */
export function callsOf(fixtureDir: string, runId: string): [string, string][] {
  const file = path.join(fixtureDir, 'calls.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' '))
    .filter(([, id]) => id === runId)
    .map(([step, , detail]) => [step ?? '', detail ?? '']);
}

export function stepsOf(fixtureDir: string, runId: string): string[] {
  return callsOf(fixtureDir, runId).map(([step]) => step);
}

export function agentRecords(logDir: string): LogRecord[] {
  const file = path.join(logDir, 'agent.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogRecord);
}
