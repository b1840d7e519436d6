import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** How a child process ended. */
export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves once `child` has exited; at once when it already has. */
export function exitOf(child: ChildProcess): Promise<ProcessEnd> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export interface StopOptions {
  /** The polite signal; SIGTERM by default (Postgres takes SIGINT as its fast shutdown). */
  signal?: NodeJS.Signals;
  /** SIGKILL after this long if the child has not exited; 10 s by default. */
  graceMs?: number;
  /** Signal the child's process group (a child started `detached` with children of its own). */
  group?: boolean;
}

/** Ends `child`: its signal, then SIGKILL if it lingers; resolves once it has exited. */
export async function stopProcess(child: ChildProcess, options: StopOptions = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  const send = (signal: NodeJS.Signals): void => {
    try {
      if (options.group === true && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // Gone between the check and the signal.
    }
  };
  send(options.signal ?? 'SIGTERM');
  const timer = setTimeout(() => send('SIGKILL'), options.graceMs ?? 10_000);
  await exited;
  clearTimeout(timer);
}

/** A child process whose output (stdout and stderr, interleaved) is kept from its start. */
export interface WatchedProcess {
  child: ChildProcess;
  /** Everything it printed so far, for waits and failure messages. */
  output(): string;
  /** Resolves when it has exited. */
  exited: Promise<ProcessEnd>;
  /**
   * Resolves with the first match of `pattern` in its output; rejects naming `what` and quoting
   * the output when it exits first, or after `timeoutMs` (30 s by default).
   */
  waitFor(
    pattern: RegExp,
    what: string,
    options?: { timeoutMs?: number },
  ): Promise<RegExpExecArray>;
  /** See stopProcess. */
  stop(options?: StopOptions): Promise<void>;
}

/** Keeps the output of a child spawned elsewhere (spawn it with stdout and stderr piped). */
export function watchProcess(child: ChildProcess): WatchedProcess {
  let output = '';
  const listeners = new Set<() => void>();
  const exited = exitOf(child);
  let ended: ProcessEnd | undefined;
  void exited.then((end) => {
    ended = end;
    for (const listener of listeners) listener();
  });
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
    for (const listener of listeners) listener();
  });

  return {
    child,
    output: () => output,
    exited,
    stop: (options) => stopProcess(child, options),
    waitFor(pattern, what, options = {}) {
      const timeoutMs = options.timeoutMs ?? 30_000;
      return new Promise((resolve, reject) => {
        const finish = (outcome: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          outcome();
        };
        const fail = (why: string): void =>
          finish(() => reject(new Error(`${why} waiting for ${what}; its output:\n${output}`)));
        function check(): void {
          const match = pattern.exec(output);
          if (match) finish(() => resolve(match));
          else if (spawnError) fail(`it could not start (${spawnError.message})`);
          else if (ended) fail(`it exited (${String(ended.code ?? ended.signal)})`);
        }
        const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** Spawns `command` with stdout and stderr piped and kept (see watchProcess). */
export function startProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): WatchedProcess {
  return watchProcess(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options }));
}

/** What a child that ran to its end printed, and how it ended. */
export interface ProcessResult extends ProcessEnd {
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they came. */
  output: string;
}

/** Runs `command` to its end, SIGKILLed after `timeoutMs` (60 s by default). */
export function runProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<ProcessResult> {
  const { timeoutMs = 60_000, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close', not 'exit': the output is complete only once the pipes have closed.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output });
    });
  });
}

/** Whether a process with this pid exists (and may be signalled by us). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Processes (other than this one) whose command line or environment mentions `dir`: the workers
 * of a host whose data folder is under it, or a daemon started with it as its data folder. A test
 * that ends with any of these left has leaked a process.
 */
export function processesUsing(dir: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (command === '') continue; // a zombie: already dead, waiting to be reaped
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (command.includes(dir) || environ.includes(dir)) found.push({ pid, command });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}
