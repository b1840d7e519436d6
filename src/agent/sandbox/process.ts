import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AtolyeError, errorMessage } from '../../errors.js';
import type { SandboxUser } from './identity.js';
import { BoundedOutput } from './output.js';
import type { RunResult } from './types.js';

export interface ProcessSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  outputCapBytes: number;
  user?: SandboxUser;
  /**
   * On timeout, kill the main process's children first and let it exit by itself (for bwrap,
   * whose child is the sandbox's init); otherwise kill the whole group at once.
   */
  childrenFirst?: boolean;
}

/** After the main process exits, how long stragglers may hold its pipes open. */
const DRAIN_MS = 1000;
/** After its children were killed, how long the main process may take to exit on its own. */
const GRACE_MS = 300;

/**
 * Runs one process in its own process group with a wall-clock timeout and bounded output. On
 * timeout, and once the main process exits, the whole group is killed so nothing outlives it.
 */
export function runProcess(spec: ProcessSpec): Promise<RunResult> {
  const started = performance.now();
  const stdout = new BoundedOutput(spec.outputCapBytes);
  const stderr = new BoundedOutput(spec.outputCapBytes);
  return new Promise((resolve, reject) => {
    const child = spawn(spec.file, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
    });
    let timedOut = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    // For bwrap, children die first so it reaps them and exits itself; killed
    // together, bwrap's inner init would be left for the host's pid 1 to reap.
    const timer = setTimeout(() => {
      timedOut = true;
      if (!spec.childrenFirst || child.pid === undefined) return killGroup();
      killChildren(child.pid);
      setTimeout(killGroup, GRACE_MS).unref();
    }, spec.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('exit', () => {
      killGroup();
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, DRAIN_MS).unref();
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new AtolyeError(
          'SANDBOX_SPAWN_FAILED',
          `Could not start ${spec.file}: ${errorMessage(error)}`,
          { cause: error },
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code,
        signal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        durationMs: Math.round(performance.now() - started),
        timedOut,
        truncated: stdout.truncated || stderr.truncated,
      });
    });
  });
}

function killChildren(pid: number): void {
  let children: string[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ');
  } catch {
    return; // Already gone, or no /proc: the group kill that follows covers it.
  }
  for (const id of children.filter(Boolean)) {
    try {
      process.kill(Number(id), 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}
