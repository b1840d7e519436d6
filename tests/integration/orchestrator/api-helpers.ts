import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AtolyeConfig } from '../../../src/config/index.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { startOrchestrator, type RunningOrchestrator } from '../../../src/orchestrator/service.js';
import { hostConfig } from '../deploy/helpers.js';
import type { StepHost } from './helpers.js';

/** An orchestrator on an ephemeral port in front of `stepHost`, with its own data and logs. */
export interface TestApi {
  orchestrator: RunningOrchestrator;
  config: AtolyeConfig;
  url: string;
  /** A valid API key, created for the test: a user key, owner of the threads it creates. */
  key: string;
  /** An admin key: every thread, the dashboard's system page and every log line. */
  adminKey: string;
  logDir: string;
  workspaceRoot: string;
  stop(): Promise<void>;
}

let started = 0;

export async function startTestApi(
  root: string,
  stepHost: StepHost,
  overrides: Record<string, string> = {},
): Promise<TestApi> {
  const logDir = path.join(root, 'api-logs');
  const workspaceRoot = path.join(root, 'workspaces');
  mkdirSync(workspaceRoot, { recursive: true });
  const config = hostConfig(path.join(root, 'api-data'), logDir, {
    'workspace.root': workspaceRoot,
    ...overrides,
  });
  const logging: Logging = createLogging(config, { service: 'orchestrator' });
  const orchestrator = await startOrchestrator(config, {
    port: 0,
    hostUrl: stepHost.url,
    logging,
    retry: { initialInterval: 50, jitter: false },
  });
  // A second start on the same data dir (a restart) gets keys of its own names.
  started += 1;
  const suffix = started === 1 ? '' : `-${started}`;
  const { key } = orchestrator.keys.create(`tests${suffix}`);
  const adminKey = orchestrator.keys.create(`tests-admin${suffix}`, { admin: true }).key;
  return {
    orchestrator,
    config,
    url: orchestrator.url,
    key,
    adminKey,
    logDir,
    workspaceRoot,
    stop: async () => {
      await orchestrator.close();
      await logging.close();
    },
  };
}
