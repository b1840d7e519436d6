import { ConfigError } from '../../config/config-error.js';
import type { AtolyeConfig, SandboxMode } from '../../config/types.js';
import { runSandboxed, runUnsandboxed } from './run.js';
import type { RunResult } from './types.js';

export interface SandboxRunOptions {
  /** Absolute workspace directory. */
  cwd: string;
  /** Overrides sandbox.timeoutMs for this command. */
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** The configured way of running workspace commands. */
export interface Sandbox {
  readonly mode: SandboxMode;
  run(command: string, options: SandboxRunOptions): Promise<RunResult>;
}

export interface CreateSandboxOptions {
  /** Path of bwrap; looked up on PATH when absent. */
  bwrapPath?: string;
  /**
   * Where the "sandbox disabled" warning goes: a function passes its forwarding logger, so the
   * sandbox needs no logging stack of its own. Standard error by default.
   */
  warn?: (message: string) => void;
}

/**
 * The sandbox of `config.sandbox`. Mode "none" runs commands without isolation: it is refused in
 * production and announced loudly elsewhere.
 */
export function createSandbox(
  config: Pick<AtolyeConfig, 'env' | 'sandbox'>,
  options: CreateSandboxOptions = {},
): Sandbox {
  const settings = config.sandbox;
  if (settings.mode === 'none') {
    if (config.env === 'production') {
      throw new ConfigError('Refusing to start in production:', [
        'sandbox.mode is "none", which runs agent commands without isolation: set ' +
          'ATOLYE_SANDBOX_MODE=bwrap (the default) and install bubblewrap (apt-get install bubblewrap)',
      ]);
    }
    const warn = options.warn ?? ((message: string) => process.stderr.write(`${message}\n`));
    warn(
      `SANDBOX DISABLED: sandbox.mode is "none" in ${config.env}; agent commands run on this ` +
        'machine with no isolation, no network block and no resource caps',
    );
  }
  const base = {
    timeoutMs: settings.timeoutMs,
    outputCapBytes: settings.outputCapBytes,
  };
  const limits = {
    cpuSeconds: settings.cpuSeconds,
    memoryMb: settings.memoryMb,
    fileSizeMb: settings.fileSizeMb,
    processes: settings.processes,
  };
  return {
    mode: settings.mode,
    run(command, runOptions) {
      const common = {
        ...base,
        command,
        cwd: runOptions.cwd,
        ...(runOptions.timeoutMs !== undefined ? { timeoutMs: runOptions.timeoutMs } : {}),
        ...(runOptions.env ? { env: runOptions.env } : {}),
      };
      if (settings.mode === 'none') return runUnsandboxed(common);
      return runSandboxed({
        ...common,
        limits,
        ...(options.bwrapPath !== undefined ? { bwrapPath: options.bwrapPath } : {}),
      });
    },
  };
}
