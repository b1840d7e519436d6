import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AtolyeConfig } from '../../../src/config/index.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { startOrchestrator, type RunningOrchestrator } from '../../../src/orchestrator/service.js';
import { hostConfig } from '../deploy/helpers.js';
import { Client } from '@langchain/langgraph-sdk';
import { tempDir } from '../../helpers/tmp.js';
import { startStepHost, type StepHost } from './helpers.js';

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
  const { key } = await orchestrator.keys.create(`tests${suffix}`);
  const adminKey = (await orchestrator.keys.create(`tests-admin${suffix}`, { admin: true })).key;
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

/** What useTestApi started for a test file. */
export interface StartedApi {
  root: ReturnType<typeof tempDir>;
  /** Where the scripted steps journal their calls (stepsOf, callsOf). */
  fixtureDir: string;
  stepHost: StepHost;
  api: TestApi;
  /** The official SDK's client, with the user key. */
  client: Client;
}

/**
 * A worker host with the scripted steps and an orchestrator in front of it, started before the
 * file's tests and stopped after them; `onStart` takes what was started (and may add to it).
 */
export function useTestApi(
  prefix: string,
  onStart: (started: StartedApi) => void | Promise<void>,
  overrides: Record<string, string> = {},
): void {
  let started: Partial<StartedApi> = {};
  beforeAll(async () => {
    const root = tempDir(prefix);
    const fixtureDir = path.join(root.dir, 'fixture');
    mkdirSync(fixtureDir);
    started = { root, fixtureDir };
    const stepHost = (started.stepHost = await startStepHost(root.dir, fixtureDir));
    const api = (started.api = await startTestApi(root.dir, stepHost, overrides));
    const client = new Client({ apiUrl: api.url, apiKey: api.key });
    await onStart({ root, fixtureDir, stepHost, api, client });
  }, 60_000);
  afterAll(async () => {
    await started.api?.stop();
    await started.stepHost?.stop();
    started.root?.cleanup();
  });
}
