import { PlanInput, PlanOutput } from '../../src/agent/graph/steps.js';
import { MODEL_ENV_VARIABLES } from '../../src/agent/model/index.js';
import { modelOnce, runPlan } from '../../src/agent/steps/index.js';
import { loadConfig } from '../../src/config/index.js';
import { defineFunction } from '../../src/runtime/contract.js';

// Once per worker: warm invocations reuse the configuration and the model client.
// Workers receive only their declared secrets; the host checked the production ones.
const { config } = loadConfig({ checkProductionSecrets: false });
const model = modelOnce(config);

/** Agent step: the task → a short plan and the checks that prove it done. */
export default defineFunction({
  name: 'plan',
  description: 'Asks the model for a short plan and the shell checks that prove the task done.',
  input: PlanInput,
  output: PlanOutput,
  limits: { timeoutMs: 180_000, memoryMb: 512, concurrency: 4, maxWorkers: 4 },
  secrets: [...MODEL_ENV_VARIABLES],
  async handle(input, ctx) {
    const output = await runPlan(input, { model: model(), config, signal: ctx.signal });
    ctx.log.info('planned', { steps: output.plan.steps.length, checks: output.plan.checks.length });
    return output;
  },
});
