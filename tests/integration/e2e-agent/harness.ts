import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import type { AgentStateValue, StepRetries } from '../../../src/agent/graph/index.js';
import { startMockLlm, type MockLlm, type ScriptInput } from '../../../src/cli/mock-llm/index.js';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { createExecutor, type Executor, type RunRecord } from '../../../src/orchestrator/index.js';
import { startFaultyModelProxy, type FaultyModelProxy } from '../../helpers/model-faults.js';
import { tempDir } from '../../helpers/tmp.js';
import { build, deployOk, hostConfig } from '../deploy/helpers.js';

/**
 * The shared setup of the scripted end-to-end tasks: the real step functions built once from
 * functions/, one in-process worker host running them with the real bubblewrap sandbox, and one
 * executor. Each task gets a mock model server of its own; the workers reach it through a loopback
 * switchboard, since their model URL is fixed when the host starts. The switchboard can answer
 * chosen requests with errors instead (`modelProxy.faults`) and counts every request.
 */

const FUNCTIONS_DIR = fileURLToPath(new URL('../../../functions', import.meta.url));

export type LogLine = Record<string, unknown> & { msg: string };

export interface ScriptedRun {
  run: RunRecord;
  /** The task's mock model server, closed; its recorded requests stay readable. */
  model: MockLlm;
}

export interface Harness {
  executor: Executor;
  /** Where the worker host listens: the only origin the test process itself should request. */
  hostOrigin: string;
  /** The switchboard between the workers and the task's model server: faults and request log. */
  modelProxy: FaultyModelProxy;
  /** Runs `task` on `threadId` with the model replaying `script`, and waits for the run to end. */
  runScripted(script: ScriptInput, threadId: string, task: string): Promise<ScriptedRun>;
  /** Absolute path of a file in a thread's workspace. */
  workspaceFile(threadId: string, file: string): string;
  workspaceRoot: string;
  /** The thread's state at its latest checkpoint. */
  threadState(threadId: string): Promise<AgentStateValue>;
  /** Lines of a channel's log: the orchestrator's (`agent` lines per step and tool call) or the host's. */
  logLines(service: 'orchestrator' | 'host', channel: string): LogLine[];
  close(): Promise<void>;
}

export function scriptNamed(name: string): ScriptInput {
  const file = fileURLToPath(new URL(`./${name}.script.json`, import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')) as ScriptInput;
}

/** The tool observations the model was sent in its `index`th request, oldest first. */
export function observationsIn(model: MockLlm, index: number): string[] {
  const body = model.requests[index]?.body as { messages?: { role: string; content: unknown }[] };
  return (body?.messages ?? [])
    .filter((message) => message.role === 'tool')
    .map((message) => String(message.content));
}

export interface HarnessOptions {
  /** More variables for the worker host, such as model settings a suite needs smaller. */
  env?: Record<string, string>;
  /**
   * Declared retries to use instead of those in the build's manifest (the real functions'
   * declarations), for suites about the step retry policy.
   */
  stepRetries?: StepRetries;
}

export async function startHarness(prefix: string, options: HarnessOptions = {}): Promise<Harness> {
  const root = tempDir(prefix);
  chmodSync(root.dir, 0o755);
  const workspaceRoot = path.join(root.dir, 'workspaces');
  mkdirSync(workspaceRoot, { mode: 0o755 });
  const cleanups: (() => Promise<void> | void)[] = [() => root.cleanup()];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const switchboard = await startFaultyModelProxy();
    cleanups.push(() => switchboard.close());

    const config = hostConfig(path.join(root.dir, 'host-data'), path.join(root.dir, 'host-logs'));
    const hostLogging = createLogging(config, { service: 'host', release: 'test-release' });
    cleanups.push(() => hostLogging.close());
    const host: RunningHost = await startHost(config, {
      port: 0,
      logging: hostLogging,
      env: {
        ...process.env,
        OPENAI_API_KEY: 'test-key',
        OPENAI_BASE_URL: switchboard.url,
        ATOLYE_MODEL: 'mock',
        ATOLYE_WORKSPACE_ROOT: workspaceRoot,
        ATOLYE_SANDBOX_MODE: 'bwrap',
        ...options.env,
      },
    });
    cleanups.push(() => host.close());
    const distDir = path.join(root.dir, 'dist');
    await deployOk({ url: host.address.url, config }, await build(FUNCTIONS_DIR, distDir));

    const dataDir = path.join(root.dir, 'orchestrator-data');
    const runLogging: Logging = createLogging(
      hostConfig(dataDir, path.join(root.dir, 'orchestrator-logs')),
      { service: 'orchestrator' },
    );
    cleanups.push(() => runLogging.close());
    const executor = createExecutor({
      config,
      hostUrl: host.address.url,
      signingSecret: config.security.signingSecret,
      dataDir,
      logging: runLogging,
      // The functions' declared retries come from the build's manifest, as in production.
      distDir,
      ...(options.stepRetries ? { stepRetries: options.stepRetries } : {}),
      retry: { initialInterval: 50, jitter: false },
    });
    cleanups.push(() => executor.close());
    const checkpoints = SqliteSaver.fromConnString(path.join(dataDir, 'checkpoints.sqlite'));
    cleanups.push(() => {
      checkpoints.db.close();
    });

    return {
      executor,
      hostOrigin: new URL(host.address.url).origin,
      modelProxy: switchboard,
      workspaceRoot,
      workspaceFile: (threadId, file) => path.join(workspaceRoot, threadId, file),
      async runScripted(script, threadId, task) {
        const model = await startMockLlm({ port: 0, script });
        switchboard.target = new URL(model.url);
        try {
          const run = await executor.waitFor(await executor.startRun(threadId, task));
          return { run, model };
        } finally {
          switchboard.target = null;
          await model.close();
        }
      },
      async threadState(threadId) {
        const tuple = await checkpoints.getTuple({ configurable: { thread_id: threadId } });
        if (!tuple) throw new Error(`no checkpoint for ${threadId}`);
        return tuple.checkpoint.channel_values as unknown as AgentStateValue;
      },
      logLines(service, channel) {
        const file = path.join(root.dir, `${service}-logs`, `${channel}.log`);
        if (!existsSync(file)) return [];
        return readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as LogLine);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
