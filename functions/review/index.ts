import { ReviewInput, ReviewOutput } from '../../src/agent/graph/steps.js';
import { createSandbox, type Sandbox } from '../../src/agent/sandbox/factory.js';
import { MODEL_KEY_VARIABLE, modelConfig } from '../../src/agent/steps/model-config.js';
import { modelChooser, type ModelChoice } from '../../src/agent/steps/model.js';
import { runReview } from '../../src/agent/steps/review.js';
import { threadWorkspace } from '../../src/agent/steps/workspace.js';
import { defineFunction } from '../../src/runtime/contract.js';

// Once per worker (init): warm invocations reuse the configuration, sandbox and model client.
let choose: (name?: string) => ModelChoice;
let sandbox: Sandbox;

/** Agent step: runs the plan's checks and decides done, or sends the run back with feedback. */
export default defineFunction({
  name: 'review',
  description: "Runs the plan's checks in the sandbox; done when all pass, else feedback.",
  input: ReviewInput,
  output: ReviewOutput,
  limits: { timeoutMs: 180_000, memoryMb: 512, concurrency: 4, maxWorkers: 4, retries: 1 },
  secrets: [MODEL_KEY_VARIABLE],
  settings: ['env', 'model', 'workspace.root', 'sandbox'],
  init(settings, log) {
    choose = modelChooser(modelConfig(settings.model));
    // Refuses mode "none" in production: the worker then never starts, and the deploy fails.
    sandbox = createSandbox(settings, { warn: (message) => log.warn(message) });
  },
  async handle(input, ctx) {
    const { model, config } = choose(input.model);
    const workspace = await threadWorkspace(ctx.settings.workspace.root, ctx.threadId);
    // The model is only made when there are no checks to run, so a keyless check run still works.
    const output = await runReview(input, {
      get model() {
        return model();
      },
      config,
      workspace,
      sandbox,
      signal: ctx.signal,
      log: ctx.log,
    });
    ctx.log.info('reviewed', { done: output.done, checks: output.commandResults.length });
    return output;
  },
});
