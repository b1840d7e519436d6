import { main } from '../../../src/cli/main.js';
import { captureOutput } from '../../helpers/output.js';

/** What one `atolye` command printed and returned, run in-process. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `atolye ARGS` in this process, its output captured. */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  const output = captureOutput();
  const code = await main([...args], output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

/** Runs `atolye ARGS` against the run API at `url` with `key`. */
export function cliAgainst(url: string, key: string, args: readonly string[]): Promise<CliResult> {
  return runCli(['--set', `api.url=${url}`, '--set', `api.key=${key}`, ...args]);
}

/** The thread a `run` reported (its `thread <id>` line). */
export function threadOf(stdout: string): string {
  const match = /^thread (\S+)$/m.exec(stdout);
  if (!match?.[1]) throw new Error(`no thread line in:\n${stdout}`);
  return match[1];
}
