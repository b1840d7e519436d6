import { ToolsInput, ToolsOutput } from '../../src/agent/graph/steps.js';
import { createSandbox, type Sandbox } from '../../src/agent/sandbox/factory.js';
import { runTools } from '../../src/agent/steps/tools.js';
import { threadWorkspace } from '../../src/agent/steps/workspace.js';
import { resolveFromRoot } from '../../src/config/paths.js';
import { defineFunction, type HandlerLog } from '../../src/runtime/contract.js';
import { baselineOf, diffStat, gitWorkspace, inBaseline } from '../../src/workspace/git.js';
import {
  APPROVAL_KEY_ENV,
  compileRiskRules,
  type RiskRules,
} from '../../src/agent/approval/index.js';

// Once per worker (init). This function never receives the model key (DESIGN.md, Agent).
let sandbox: Sandbox;
let rules: RiskRules;

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
  // The approval key (derived by the host from its signing secret): held calls need its signature.
  secrets: [APPROVAL_KEY_ENV],
  settings: [
    'env',
    'workspace.root',
    'sandbox',
    'agent.approval',
    'agent.riskyCommands',
    'agent.riskyPaths',
  ],
  init(settings, log) {
    // Refuses mode "none" in production: the worker then never starts, and the deploy fails.
    sandbox = createSandbox(settings, { warn: (message) => log.warn(message) });
    rules = compileRiskRules(settings.agent);
  },
  async handle(input, ctx) {
    const root = ctx.settings.workspace.root;
    const workspace = await threadWorkspace(root, ctx.threadId);
    const ws = gitWorkspace(resolveFromRoot(root), ctx.threadId as string);
    const output = await runTools(input, {
      workspace,
      sandbox,
      approval: {
        threadId: ctx.threadId as string,
        configured: ctx.settings.agent.approval,
        rules,
        key: process.env[APPROVAL_KEY_ENV] ?? '',
        context: { inBaseline: (file) => inBaseline(ws, file) },
      },
    });
    ctx.log.info('tools ran', {
      calls: output.results.map((result) => `${result.name}:${result.ok ? 'ok' : result.code}`),
      filesChanged: output.filesChanged.length,
    });
    const workspaceChanges = await changesSoFar(root, ctx.threadId as string, ctx.log);
    return workspaceChanges === undefined ? output : { ...output, workspaceChanges };
  },
});
