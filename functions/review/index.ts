import { ReviewInput, ReviewOutput } from '../../src/agent/graph/steps.js';
import { MODEL_ENV_VARIABLES } from '../../src/agent/model/index.js';
import { createSandbox } from '../../src/agent/sandbox/index.js';
import { modelOnce, runReview, threadWorkspace } from '../../src/agent/steps/index.js';
import { loadConfig } from '../../src/config/index.js';
import { defineFunction } from '../../src/runtime/contract.js';

// Once per worker: warm invocations reuse the configuration, sandbox and model client.
// Workers receive only their declared secrets; the host checked the production ones.
const { config } = loadConfig({ checkProductionSecrets: false });
const sandbox = createSandbox(config);
const model = modelOnce(config);

/** Agent step: runs the plan's checks and decides done, or sends the run back with feedback. */
export default defineFunction({
  name: 'review',
  description: "Runs the plan's checks in the sandbox; done when all pass, else feedback.",
  input: ReviewInput,
  output: ReviewOutput,
  limits: { timeoutMs: 180_000, memoryMb: 512, concurrency: 4, maxWorkers: 4 },
  secrets: [...MODEL_ENV_VARIABLES, 'ATOLYE_WORKSPACE_ROOT', 'ATOLYE_SANDBOX_MODE'],
  async handle(input, ctx) {
    const workspace = await threadWorkspace(config.workspace.root, ctx.threadId);
    // The model is only made when there are no checks to run, so a keyless check run still works.
    const output = await runReview(input, {
      get model() {
        return model();
      },
      config,
      workspace,
      sandbox,
      signal: ctx.signal,
    });
    ctx.log.info('reviewed', { done: output.done, checks: output.commandResults.length });
    return output;
  },
});
