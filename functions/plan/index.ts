import { PlanInput, PlanOutput } from '../../src/agent/graph/steps.js';
import { MODEL_KEY_VARIABLE, modelConfig } from '../../src/agent/steps/model-config.js';
import { modelChooser, type ModelChoice } from '../../src/agent/steps/model.js';
import { runPlan } from '../../src/agent/steps/plan.js';
import { defineFunction } from '../../src/runtime/contract.js';

// Once per worker (init): warm invocations reuse the configuration and the model client.
let choose: (name?: string) => ModelChoice;

/** Agent step: the task → a short plan and the checks that prove it done. */
export default defineFunction({
  name: 'plan',
  description: 'Asks the model for a short plan and the shell checks that prove the task done.',
  input: PlanInput,
  output: PlanOutput,
  limits: { timeoutMs: 180_000, memoryMb: 512, concurrency: 4, maxWorkers: 4, retries: 1 },
  secrets: [MODEL_KEY_VARIABLE],
  settings: ['model'],
  init(settings) {
    choose = modelChooser(modelConfig(settings.model));
  },
  async handle(input, ctx) {
    const { model, config } = choose(input.model);
    const output = await runPlan(input, {
      model: model(),
      config,
      signal: ctx.signal,
      log: ctx.log,
    });
    ctx.log.info('planned', { steps: output.plan.steps.length, checks: output.plan.checks.length });
    return output;
  },
});
