import { ToolsInput, ToolsOutput } from '../../src/agent/graph/steps.js';
import { createSandbox } from '../../src/agent/sandbox/index.js';
import { runTools } from '../../src/agent/steps/tools.js';
import { threadWorkspace } from '../../src/agent/steps/workspace.js';
import { loadConfig } from '../../src/config/index.js';
import { defineFunction } from '../../src/runtime/contract.js';

// Once per worker. This function never receives the model key (DESIGN.md, Agent).
// Workers receive only their declared secrets; the host checked the production ones.
const { config } = loadConfig({ checkProductionSecrets: false });
const sandbox = createSandbox(config);

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
    return output;
  },
});
