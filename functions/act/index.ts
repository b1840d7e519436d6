import { ActInput, ActOutput } from '../../src/agent/graph/steps.js';
import { runAct } from '../../src/agent/steps/act.js';
import { condensationLogFields } from '../../src/agent/steps/condense.js';
import { MODEL_KEY_VARIABLE, modelConfig } from '../../src/agent/steps/model-config.js';
import { modelChooser, type ModelChoice } from '../../src/agent/steps/model.js';
import { defineFunction } from '../../src/runtime/contract.js';

// Once per worker (init): warm invocations reuse the configuration and the model client.
let choose: (name?: string) => ModelChoice;

/** Agent step: the model, with the tools bound, picks the next tool calls or calls `finish`. */
export default defineFunction({
  name: 'act',
  description: 'Asks the model, tools bound, for the next tool calls or for finish.',
  input: ActInput,
  output: ActOutput,
  limits: { timeoutMs: 180_000, memoryMb: 512, concurrency: 4, maxWorkers: 4, retries: 2 },
  secrets: [MODEL_KEY_VARIABLE],
  settings: ['model'],
  init(settings) {
    choose = modelChooser(modelConfig(settings.model));
  },
  async handle(input, ctx) {
    const { model, config } = choose(input.model);
    const output = await runAct(input, {
      model: model(),
      config,
      signal: ctx.signal,
      log: ctx.log,
    });
    const { condensation } = output;
    if (condensation !== null) {
      const fields = condensationLogFields(condensation);
      if (condensation.problem === undefined) ctx.log.info('condensed history', fields);
      else ctx.log.warn('condensed history without a model summary', fields);
    }
    ctx.log.info('acted', {
      iteration: input.iteration,
      toolCalls: output.toolCalls.map((call) => call.name),
      finished: output.finish !== null,
    });
    return output;
  },
});
