import { ToolsInput, ToolsOutput } from '../../src/agent/graph/steps.js';
import { createSandbox } from '../../src/agent/sandbox/index.js';
import { runTools } from '../../src/agent/steps/tools.js';
import { threadWorkspace } from '../../src/agent/steps/workspace.js';
import { loadConfig, resolveFromRoot } from '../../src/config/index.js';
import { defineFunction, type HandlerLog } from '../../src/runtime/contract.js';
import { baselineOf, diffStat, gitWorkspace } from '../../src/workspace/git.js';

// Once per worker. This function never receives the model key (DESIGN.md, Agent).
// Workers receive only their declared secrets; the host checked the production ones.
const { config } = loadConfig({ checkProductionSecrets: false });
const sandbox = createSandbox(config);

/** `git diff --stat` against the baseline, for the model's next brief; none without a baseline. */
async function changesSoFar(threadId: string, log: HandlerLog): Promise<string | undefined> {
  const ws = gitWorkspace(resolveFromRoot(config.workspace.root), threadId);
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
  secrets: ['ATOLYE_WORKSPACE_ROOT', 'ATOLYE_SANDBOX_MODE'],
  async handle(input, ctx) {
    const workspace = await threadWorkspace(config.workspace.root, ctx.threadId);
    const output = await runTools(input, { workspace, sandbox });
    ctx.log.info('tools ran', {
      calls: output.results.map((result) => `${result.name}:${result.ok ? 'ok' : result.code}`),
      filesChanged: output.filesChanged.length,
    });
    const workspaceChanges = await changesSoFar(ctx.threadId as string, ctx.log);
    return workspaceChanges === undefined ? output : { ...output, workspaceChanges };
  },
});
