import { AtolyeError } from '../errors.js';
import { spawnGit, type GitProcessResult } from '../workspace/git-process.js';

/** git in the user's folder, for `atolye apply` (the clean environment is spawnGit's). */

export type GitResult = GitProcessResult;

export interface GitOptions {
  cwd: string;
  /** Bytes written to git's standard input. */
  input?: Uint8Array;
  /** Extra environment, e.g. GIT_DIR and GIT_WORK_TREE for a scratch repository. */
  env?: Record<string, string>;
}

/** Runs git in the user's folder (see spawnGit for the clean environment). */
export function git(args: readonly string[], options: GitOptions): Promise<GitResult> {
  return spawnGit(args, options);
}

/** Runs git and returns its output, or throws GIT_FAILED with what git said. */
export async function gitOk(args: readonly string[], options: GitOptions): Promise<Buffer> {
  const result = await git(args, options);
  if (result.code !== 0) {
    throw new AtolyeError(
      'GIT_FAILED',
      `git ${args[0] ?? ''} failed: ${result.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${result.code}`}`,
    );
  }
  return result.stdout;
}

/** Splits `-z` output into its NUL-terminated fields. */
export function nulFields(output: Buffer): string[] {
  const text = output.toString('utf8');
  const fields = text.split('\0');
  if (fields.at(-1) === '') fields.pop();
  return fields;
}
