import path from 'node:path';
import { projectRoot } from '../../src/config/paths.js';
import { withTimeout, type BenchContext } from './harness.js';
import { exitOf } from '../helpers/processes.js';

/**
 * The CLI as a user runs it: `node bin/atolye.js …` in a process of its own. Benchmarks talk to
 * the product through it (and through HTTP), never by importing CLI modules, so a CLI rebuilt
 * another way is measured the same way.
 */
export const ATOLYE_BIN = path.join(projectRoot(), 'bin', 'atolye.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Spawn to exit. */
  ms: number;
}

/** Runs `node <file> args…` (bin/atolye.js by default) to its exit; rejects after `maxMs`. */
export async function runNode(
  ctx: BenchContext,
  args: string[],
  env: NodeJS.ProcessEnv,
  maxMs = 60_000,
): Promise<CliResult> {
  const started = performance.now();
  const child = ctx.spawn(process.execPath, args, {
    cwd: projectRoot(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  try {
    await withTimeout(exitOf(child), maxMs, `node ${args.join(' ')} did not exit`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { code: child.exitCode, stdout, stderr, ms: performance.now() - started };
}

/** `atolye args…`, as a user types it. */
export const runCli = (
  ctx: BenchContext,
  args: string[],
  env: NodeJS.ProcessEnv,
  maxMs?: number,
): Promise<CliResult> => runNode(ctx, [ATOLYE_BIN, ...args], env, maxMs);

/** `--set key=value` flags for the CLI, from a map. */
export const setFlags = (sets: Record<string, string>): string[] =>
  Object.entries(sets).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
