import { threadWorkspace } from '../../src/agent/steps/workspace.js';
import { resolveFromRoot } from '../../src/config/paths.js';
import { defineFunction } from '../../src/runtime/contract.js';
import { gitWorkspace } from '../../src/workspace/git.js';
import {
  CheckoutInput,
  CheckoutOutput,
  cloneInto,
  pushBranch,
  type RemoteOptions,
} from '../../src/workspace/remote.js';

/** The git token's variable (git.token): a declared secret, never a setting. */
const GIT_TOKEN = 'ATOLYE_GIT_TOKEN';

// Once per worker (init). The only function that receives the git token; the sandbox never sees it.
let options: RemoteOptions;

/** A thread's workspace from a git repository, and its changes back as a new branch. */
export default defineFunction({
  name: 'checkout',
  description: "Clones a repository into a thread's workspace, or pushes its changes to a branch.",
  input: CheckoutInput,
  output: CheckoutOutput,
  limits: { timeoutMs: 600_000, memoryMb: 256, concurrency: 2, maxWorkers: 2, retries: 0 },
  secrets: [GIT_TOKEN],
  settings: ['workspace.root', 'git'],
  init(settings) {
    options = {
      token: process.env[GIT_TOKEN] ?? '',
      allowedSchemes: settings.git.allowedSchemes,
      allowHosts: settings.git.allowHosts,
      tokenHosts: settings.git.tokenHosts,
      timeoutMs: settings.git.timeoutMs,
    };
  },
  async handle(input, ctx) {
    const { root } = ctx.settings.workspace;
    await threadWorkspace(root, ctx.threadId);
    const ws = gitWorkspace(resolveFromRoot(root), ctx.threadId as string);
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
