import { spawn } from 'node:child_process';
import { AtolyeError } from '../errors.js';

/**
 * Runs git for the client with a clean environment: no system or global configuration, no hooks,
 * no prompts, C-locale messages (they are parsed), and none of the caller's GIT_* variables — a
 * GIT_DIR inherited from a hook would otherwise point every command at someone else's repository.
 */

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitOptions {
  cwd: string;
  /** Bytes written to git's standard input. */
  input?: Uint8Array;
  /** Extra environment, e.g. GIT_DIR and GIT_WORK_TREE for a scratch repository. */
  env?: Record<string, string>;
}

export async function git(args: readonly string[], options: GitOptions): Promise<GitResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    ...options.env,
  };
  const child = spawn('git', ['-c', 'core.hooksPath=/dev/null', ...args], {
    cwd: options.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  // git may exit before reading all of its input (a patch it refuses early): that is not an error.
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input);
  return await new Promise<GitResult>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new AtolyeError(
              'GIT_MISSING',
              'git is not installed or not on PATH; install it (Debian/Ubuntu: apt-get install git)',
              { cause: error },
            )
          : new AtolyeError('GIT_FAILED', `git could not be started (${error.code ?? 'error'})`, {
              cause: error,
            }),
      );
    });
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
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
