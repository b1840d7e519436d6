import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { projectRoot, resolveFromRoot, type AtolyeConfig } from '../../config/index.js';
import { AtolyeError } from '../../errors.js';

/** What a running host leaves in the data directory so other commands can find it. */
export interface HostState {
  pid: number;
  url: string;
  startedAt: string;
}

export function hostStateFile(config: AtolyeConfig): string {
  return path.join(resolveFromRoot(config.storage.dataDir), 'host.json');
}

export function writeHostState(config: AtolyeConfig, state: HostState): void {
  const file = hostStateFile(config);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeHostState(config: AtolyeConfig, pid = process.pid): void {
  const state = readHostState(config);
  if (state?.pid === pid) rmSync(hostStateFile(config), { force: true });
}

function readHostState(config: AtolyeConfig): HostState | undefined {
  try {
    return JSON.parse(readFileSync(hostStateFile(config), 'utf8')) as HostState;
  } catch {
    return undefined;
  }
}

/** The host named by the state file, if its process lives and its /healthz answers. */
export async function findRunningHost(config: AtolyeConfig): Promise<HostState | undefined> {
  const state = readHostState(config);
  if (!state || !processAlive(state.pid)) return undefined;
  return (await healthy(state.url)) ? state : undefined;
}

/**
 * Starts `atolye host` as a background daemon and waits until it answers. Its console output goes
 * to `<log dir>/host.out`; if it dies while starting, the error quotes the end of that file.
 */
export async function startHostDaemon(
  config: AtolyeConfig,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; args?: string[] } = {},
): Promise<HostState> {
  const previous = readHostState(config);
  if (previous && previous.pid !== process.pid && isHostProcess(previous.pid)) {
    // Its /healthz did not answer, but the process lives: a second host would orphan it.
    throw new AtolyeError(
      'HOST_UNRESPONSIVE',
      `a worker host (pid ${previous.pid}, ${previous.url}) is running but does not answer /healthz; ` +
        `stop it with \`kill ${previous.pid}\` (or wait if it is busy starting), then deploy again`,
      { retryable: true },
    );
  }
  const logDir = resolveFromRoot(config.logging.dir);
  mkdirSync(logDir, { recursive: true });
  const outFile = path.join(logDir, 'host.out');
  const out = openSync(outFile, 'a');
  const child = spawn(
    process.execPath,
    [path.join(projectRoot(), 'bin', 'atolye.js'), ...(options.args ?? []), 'host'],
    {
      cwd: projectRoot(),
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...(options.env ?? process.env), ATOLYE_ENV: config.env },
    },
  );
  closeSync(out);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  child.unref();

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new AtolyeError(
        'HOST_START_FAILED',
        `the worker host exited with status ${exited} while starting; the end of ${outFile}:\n${tail(outFile)}`,
      );
    }
    const state = readHostState(config);
    if (state && state.pid === child.pid && (await healthy(state.url))) return state;
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new AtolyeError(
    'HOST_START_FAILED',
    `the worker host did not answer within ${(options.timeoutMs ?? 30_000) / 1000} s; see ${outFile}:\n${tail(outFile)}`,
    { retryable: true },
  );
}

/** Waits for a process to end, up to a deadline; true when it did. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await sleep(50);
  }
  return !processAlive(pid);
}

/** A live process that is an `atolye host` (not an unrelated one that got a stale pid). */
function isHostProcess(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('atolye');
  } catch {
    return true; // no /proc here: trust the pid
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '(no output)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
