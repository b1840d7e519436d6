import { stat } from 'node:fs/promises';
import { AtolyeError } from '../../errors.js';
import { assertReachable, handOverWorkspace, sandboxUser } from './identity.js';
import { bwrapArgs } from './layout.js';
import { findExecutable, locateBwrap } from './locate.js';
import { runProcess } from './process.js';
import { BASE_ENV, runOptionsSchema, type RunOptions, type RunResult } from './types.js';

/** Where the sandbox's PATH finds system tools; prlimit must be among them. */
const SYSTEM_PATH = BASE_ENV.PATH as string;

/**
 * Runs `command` under bubblewrap: no network, read-only system, only the workspace writable,
 * private /tmp, a cleared environment, own pid and user namespaces, resource caps, a wall-clock
 * timeout and capped output. Fails closed with SANDBOX_UNAVAILABLE when bwrap is missing.
 */
export async function runSandboxed(input: RunOptions): Promise<RunResult> {
  const options = parseOptions(input);
  const bwrap = locateBwrap(options.bwrapPath);
  if (findExecutable('prlimit', SYSTEM_PATH) === undefined) {
    throw new AtolyeError(
      'SANDBOX_UNAVAILABLE',
      'prlimit was not found in /usr/bin or /bin, so the sandbox cannot cap resources. ' +
        'Install it (Debian/Ubuntu: apt-get install util-linux).',
    );
  }
  await assertWorkspace(options.cwd);
  const user = sandboxUser();
  if (user) {
    await assertReachable(options.cwd, user);
    await handOverWorkspace(options.cwd, user);
  }
  return runProcess({
    file: bwrap,
    args: bwrapArgs({
      workspace: options.cwd,
      command: options.command,
      limits: options.limits,
      env: { ...options.env, ...BASE_ENV },
    }),
    cwd: '/',
    env: { PATH: SYSTEM_PATH },
    timeoutMs: options.timeoutMs,
    outputCapBytes: options.outputCapBytes,
    childrenFirst: true,
    ...(user ? { user } : {}),
  });
}

/**
 * Runs `command` in the workspace with the same timeout, output cap and cleared environment,
 * but without isolation or resource caps. Only for `sandbox.mode = "none"`.
 */
export async function runUnsandboxed(
  input: Omit<RunOptions, 'limits' | 'bwrapPath'>,
): Promise<RunResult> {
  const options = runOptionsSchema.omit({ limits: true, bwrapPath: true }).safeParse(input);
  if (!options.success) throw invalidOptions(options.error.message);
  await assertWorkspace(options.data.cwd);
  return runProcess({
    file: '/bin/sh',
    args: ['-c', options.data.command],
    cwd: options.data.cwd,
    env: { ...options.data.env, ...BASE_ENV, HOME: options.data.cwd },
    timeoutMs: options.data.timeoutMs,
    outputCapBytes: options.data.outputCapBytes,
  });
}

function parseOptions(input: RunOptions): RunOptions {
  const parsed = runOptionsSchema.safeParse(input);
  if (!parsed.success) throw invalidOptions(parsed.error.message);
  return parsed.data;
}

function invalidOptions(detail: string): AtolyeError {
  return new AtolyeError('SANDBOX_INVALID_OPTIONS', `Invalid sandbox options: ${detail}`);
}

async function assertWorkspace(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new AtolyeError(
      'SANDBOX_WORKSPACE_MISSING',
      `The workspace ${dir} does not exist or is not a directory: create it before running commands.`,
    );
  }
}
