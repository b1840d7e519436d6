import { threadWorkspace } from '../../src/agent/steps/workspace.js';
import { loadConfig, resolveFromRoot } from '../../src/config/index.js';
import { defineFunction } from '../../src/runtime/contract.js';
import { gitWorkspace } from '../../src/workspace/git.js';
import {
  CheckoutInput,
  CheckoutOutput,
  cloneInto,
  pushBranch,
} from '../../src/workspace/remote.js';

// Once per worker. The only function that receives the git token; the sandbox never sees it.
const { config } = loadConfig({ checkProductionSecrets: false });
const options = {
  token: config.git.token,
  allowedSchemes: config.git.allowedSchemes,
  allowHosts: config.git.allowHosts,
  tokenHosts: config.git.tokenHosts,
  timeoutMs: config.git.timeoutMs,
};

/** A thread's workspace from a git repository, and its changes back as a new branch. */
export default defineFunction({
  name: 'checkout',
  description: "Clones a repository into a thread's workspace, or pushes its changes to a branch.",
  input: CheckoutInput,
  output: CheckoutOutput,
  limits: { timeoutMs: 600_000, memoryMb: 256, concurrency: 2, maxWorkers: 2, retries: 0 },
  secrets: [
    'ATOLYE_WORKSPACE_ROOT',
    'ATOLYE_GIT_TOKEN',
    'ATOLYE_GIT_SCHEMES',
    'ATOLYE_GIT_ALLOW_HOSTS',
    'ATOLYE_GIT_TOKEN_HOSTS',
  ],
  async handle(input, ctx) {
    await threadWorkspace(config.workspace.root, ctx.threadId);
    const ws = gitWorkspace(resolveFromRoot(config.workspace.root), ctx.threadId as string);
    const output =
      input.op === 'clone'
        ? await cloneInto(ws, input, options)
        : await pushBranch(ws, input, options);
    ctx.log.info(`checkout ${input.op} done`, {
      url: output.url,
      ref: output.ref,
      files: output.files,
    });
    return output;
  },
});
