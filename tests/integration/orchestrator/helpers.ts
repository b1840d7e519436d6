import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AtolyeConfig } from '../../../src/config/index.js';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { createLogging, type Logging, type LogRecord } from '../../../src/logging/index.js';
import { build, deployOk, hostConfig } from '../deploy/helpers.js';

export const FUNCTIONS_DIR = fileURLToPath(new URL('./fixtures/functions', import.meta.url));

/** A worker host on an ephemeral port serving the scripted step functions. */
export interface StepHost {
  host: RunningHost;
  config: AtolyeConfig;
  url: string;
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
  try {
    await deployOk(
      { url: host.address.url, config },
      await build(options.functionsDir ?? FUNCTIONS_DIR, path.join(root, 'dist')),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, config, url: host.address.url, stop };
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
