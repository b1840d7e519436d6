import { ActInput, ActOutput } from '../../src/agent/graph/steps.js';
import { MODEL_ENV_VARIABLES } from '../../src/agent/model/index.js';
import { condensationLogFields, modelOnce, runAct } from '../../src/agent/steps/index.js';
import { loadConfig } from '../../src/config/index.js';
import { defineFunction } from '../../src/runtime/contract.js';

// Once per worker: warm invocations reuse the configuration and the model client.
// Workers receive only their declared secrets; the host checked the production ones.
const { config } = loadConfig({ checkProductionSecrets: false });
const model = modelOnce(config);

/** Agent step: the model, with the tools bound, picks the next tool calls or calls `finish`. */
export default defineFunction({
  name: 'act',
  description: 'Asks the model, tools bound, for the next tool calls or for finish.',
  input: ActInput,
  output: ActOutput,
  limits: { timeoutMs: 180_000, memoryMb: 512, concurrency: 4, maxWorkers: 4 },
  secrets: [...MODEL_ENV_VARIABLES],
  async handle(input, ctx) {
    const output = await runAct(input, { model: model(), config, signal: ctx.signal });
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
