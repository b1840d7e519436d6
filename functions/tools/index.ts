import { ToolsInput, ToolsOutput } from '../../src/agent/graph/steps.js';
import { createSandbox, type Sandbox } from '../../src/agent/sandbox/factory.js';
import { runTools } from '../../src/agent/steps/tools.js';
import { threadWorkspace } from '../../src/agent/steps/workspace.js';
import { resolveFromRoot } from '../../src/config/paths.js';
import { defineFunction, type HandlerLog } from '../../src/runtime/contract.js';
import { baselineOf, diffStat, gitWorkspace } from '../../src/workspace/git.js';

// Once per worker (init). This function never receives the model key (DESIGN.md, Agent).
let sandbox: Sandbox;

/** `git diff --stat` against the baseline, for the model's next brief; none without a baseline. */
async function changesSoFar(
  root: string,
  threadId: string,
  log: HandlerLog,
): Promise<string | undefined> {
  const ws = gitWorkspace(resolveFromRoot(root), threadId);
  try {
    if ((await baselineOf(ws)) === undefined) return undefined;
    return await diffStat(ws);
  } catch (error) {
    log.warn('the diff summary for the model failed; it goes without one', { err: error });
    return undefined;
  }
}

/** Agent step: runs the model's tool calls in the thread's workspace. */
export default defineFunction({
  name: 'tools',
  description: "Runs tool calls in the thread's workspace; commands run in the sandbox.",
  input: ToolsInput,
  output: ToolsOutput,
  limits: { timeoutMs: 120_000, memoryMb: 512, concurrency: 4, maxWorkers: 4 },
  secrets: [],
  settings: ['env', 'workspace.root', 'sandbox'],
  init(settings, log) {
    // Refuses mode "none" in production: the worker then never starts, and the deploy fails.
    sandbox = createSandbox(settings, { warn: (message) => log.warn(message) });
  },
  async handle(input, ctx) {
    const root = ctx.settings.workspace.root;
    const workspace = await threadWorkspace(root, ctx.threadId);
    const output = await runTools(input, { workspace, sandbox });
    ctx.log.info('tools ran', {
      calls: output.results.map((result) => `${result.name}:${result.ok ? 'ok' : result.code}`),
      filesChanged: output.filesChanged.length,
    });
    const workspaceChanges = await changesSoFar(root, ctx.threadId as string, ctx.log);
    return workspaceChanges === undefined ? output : { ...output, workspaceChanges };
  },
});
