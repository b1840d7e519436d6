import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { resolveFromRoot } from '../config/paths.js';
import { AtolyeError, errorMessage } from '../errors.js';
import type { AtolyeConfig } from '../config/index.js';
import type { CliContext } from './context.js';
import { registerTypeScript } from './typescript.js';

const SCRIPT = fileURLToPath(new URL('./demo/csv-to-json.script.json', import.meta.url));
export const DEMO_TASK =
  'Write csv2json.py, a command-line tool that converts a CSV file to a JSON array of objects, with unit tests and a sample CSV.';

/**
 * `npm run demo`: the whole product on this machine without a model key. A mock model server
 * replays a bundled script; everything else is real: the bundles, the worker host, the
 * orchestrator, the run API, the sandbox and the files the agent writes. It runs in its own
 * folder with its own ports, so a deployment of yours is left alone, and stops what it started.
 */
export function registerDemoCommand(program: Command, cli: CliContext): void {
  program
    .command('demo')
    .description('Deploy with a scripted mock model and run one task through the real run API')
    .option('--dir <dir>', 'folder of the demo data, logs and workspaces', 'data/demo')
    .option('--no-typecheck', 'skip the typecheck before the build')
    .action(async (options: { dir: string; typecheck: boolean }) => {
      const dir = resolveFromRoot(options.dir);
      const sets: Record<string, string> = {
        'storage.dataDir': path.join(dir, 'store'),
        'logging.dir': path.join(dir, 'logs'),
        'workspace.root': path.join(dir, 'workspaces'),
        'host.port': '0',
        'api.port': '0',
        ...cli.overrides(),
      };
      const { loadConfig } = await import('../config/index.js');
      const { waitForExit } = await import('../deploy/local/daemon.js');
      const { adminCall, deployLocal } = await import('../deploy/local/deploy.js');
      const { ApiKeyStore, apiKeysFile } = await import('../store/api-keys.js');
      const { loadScript, startMockLlm } = await import('./mock-llm/index.js');
      const { runTask } = await import('./run-actions.js');
      await registerTypeScript();
      const { config } = loadConfig({ environ: cli.env, overrides: sets });
      const { ensureSystemPackages, runtimePackages } = await import('./system-check.js');
      // python3: the scripted task's checks run its tests.
      ensureSystemPackages('the demo', runtimePackages(config.sandbox.mode, ['python3']), {
        env: cli.env,
      });
      const model = await startMockLlm({ script: await loadScript(SCRIPT), port: 0 });
      // The host daemon this deploy starts hands these to the model-calling functions only.
      const hostEnv = {
        ...cli.env,
        OPENAI_BASE_URL: model.url,
        OPENAI_API_KEY: 'demo-key-not-used-by-the-mock',
        ATOLYE_MODEL: 'mock',
      };
      let hostUrl: string | undefined;
      let hostPid: number | undefined;
      // Chosen here so that the demo can say where the thread's files are once it has stopped.
      const threadId = randomUUID();
      let failure: unknown;
      let stopped = true;
      try {
        cli.output.err(
          'demo: the model replies are scripted (a mock server); everything else is real',
        );
        const report = await deployLocal(config, {
          typecheck: options.typecheck,
          outDir: path.join(dir, 'dist'),
          hostArgs: Object.entries(sets).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
          hostEnv,
          progress: (line) => cli.output.err(`… ${line}`),
        });
        hostUrl = report.host.url;
        hostPid = report.host.pid;
        const keys = ApiKeyStore.inFile(apiKeysFile(config.storage.dataDir));
        const { key } = await keys.create(`demo-${Date.now()}`);
        await keys.close();
        cli.output.out(`run API ${report.api?.url ?? '(not running)'}; task: ${DEMO_TASK}\n`);
        // The task runs as `atolye run --thread ID --create TASK` would, against this deploy's API.
        const client: CliContext = {
          output: cli.output,
          env: cli.env,
          overrides: () => ({ ...sets, 'api.url': report.api?.url ?? '', 'api.key': key }),
        };
        failure = await runTask(client, DEMO_TASK, { thread: threadId, create: true }).then(
          () => undefined,
          (error: unknown) => error,
        );
      } finally {
        if (hostUrl !== undefined && hostPid !== undefined) {
          try {
            await adminCall(config, hostUrl, 'POST', '/admin/shutdown');
            await waitForExit(hostPid, 30_000);
          } catch (error) {
            stopped = false;
            cli.output.err(
              `demo: could not stop its worker host (pid ${hostPid}): ${errorMessage(error)}`,
            );
          }
        }
        await model.close();
      }
      cli.output.out(afterDemo(config, threadId, stopped));
      if (failure !== undefined) {
        throw new AtolyeError(
          'DEMO_FAILED',
          `the demo task did not succeed: ${errorMessage(failure)}`,
          { cause: failure },
        );
      }
    });
}

/**
 * What is left once the demo has stopped its host and run API: the files and logs on disk (the
 * run's own `files: npx atolye files …` line has no API to ask any more), and how to go on with
 * a deployment of one's own.
 */
function afterDemo(config: AtolyeConfig, threadId: string, stopped: boolean): string {
  return [
    '',
    stopped
      ? 'the demo has stopped its host and run API (so the `npx atolye files` line above has no API to ask); its files stay on disk:'
      : 'the demo could not stop its worker host (see above); its files are on disk:',
    `files  ${path.join(config.workspace.root, threadId)}${path.sep}`,
    `logs   ${config.logging.dir}${path.sep}{system,agent,user_interactions,errors}.log`,
    'next   your own deployment, with a real model (README: "Run a task with a real model"):',
    '         export OPENAI_API_KEY=…   (and OPENAI_BASE_URL for a local OpenAI-compatible server)',
    '         npm run deploy',
    '         npx atolye keys create --name me   # then export ATOLYE_API_KEY=…',
    '         npx atolye run "TASK"',
  ].join('\n');
}
