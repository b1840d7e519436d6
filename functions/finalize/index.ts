import { FinalizeInput, FinalizeOutput } from '../../src/agent/graph/steps.js';
import { runFinalize } from '../../src/agent/steps/finalize.js';
import { threadWorkspace } from '../../src/agent/steps/workspace.js';
import { defineFunction } from '../../src/runtime/contract.js';

/** Agent step: the run's summary and the manifest of the files it leaves in the workspace. */
export default defineFunction({
  name: 'finalize',
  description: "Summarises the run and lists the workspace's files with their sizes.",
  input: FinalizeInput,
  output: FinalizeOutput,
  limits: { timeoutMs: 60_000, memoryMb: 256, concurrency: 4, maxWorkers: 4, retries: 2 },
  // Deterministic: no model call, so no model key either.
  secrets: [],
  settings: ['workspace.root'],
  async handle(input, ctx) {
    const workspace = await threadWorkspace(ctx.settings.workspace.root, ctx.threadId);
    const output = await runFinalize(input, { workspace });
    ctx.log.info('finalized', { status: input.status, files: output.files?.length ?? 0 });
    return output;
  },
});
