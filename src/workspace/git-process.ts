import { spawn } from 'node:child_process';
import { AtolyeError } from '../errors.js';

/**
 * git as a child process with a clean environment: no system or global configuration, no hooks,
 * no prompts, C-locale messages (they are parsed), and none of the caller's GIT_* variables — a
 * GIT_DIR inherited from a hook would otherwise point every command at someone else's repository.
 * The product's workspaces (git.ts) and the client's folders (src/client) both run git through it.
 */

export interface GitProcessOptions {
  cwd: string;
  /** Variables on top of the clean base, e.g. GIT_DIR and GIT_WORK_TREE. */
  env?: Record<string, string>;
  /** Bytes written to git's standard input. */
  input?: Uint8Array;
  /** Killed (SIGKILL) after this long; the result then has code 128 and says so. */
  timeoutMs?: number;
}

export interface GitProcessResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export function spawnGit(
  args: readonly string[],
  options: GitProcessOptions,
): Promise<GitProcessResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
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
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs);
  return new Promise<GitProcessResult>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
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
      clearTimeout(timer);
      const said = Buffer.concat(stderr).toString('utf8');
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout),
        stderr: timedOut ? `${said}\ngit timed out after ${options.timeoutMs} ms` : said,
      });
    });
  });
}
