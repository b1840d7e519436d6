import { main } from '../../src/cli/main.js';
import type { EnvChanges } from './env.js';
import { captureOutput } from './output.js';

/** What one `atolye` command printed and returned, run in this process. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /**
   * Variables the command sees on top of this process's environment (a value of undefined
   * hides one): the command reads them, and the processes it starts inherit them.
   */
  env?: EnvChanges;
}

/** Runs `atolye ARGS` in this process, its output captured. */
export async function runCli(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const output = captureOutput();
  const code = await main([...args], { output, env: cliEnv(options.env) });
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

/** Runs `atolye ARGS` against the run API at `url` with `key`. */
export function cliAgainst(
  url: string,
  key: string,
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  return runCli(['--set', `api.url=${url}`, '--set', `api.key=${key}`, ...args], options);
}

/** This process's environment with `changes` on top, for a command run in-process. */
export function cliEnv(changes: EnvChanges = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** The thread a `run` reported (its `thread <id>` line). */
export function threadOf(stdout: string): string {
  const match = /^thread (\S+)$/m.exec(stdout);
  if (!match?.[1]) throw new Error(`no thread line in:\n${stdout}`);
  return match[1];
}
