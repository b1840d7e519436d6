import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot, resolveFromRoot, type AtolyeConfig } from '../../config/index.js';
import { AtolyeError } from '../../errors.js';
import { busyPortFix } from './busy-port.js';
import { isAtolyeProcess, PidFile, processAlive, waitForExit } from './pid-file.js';

export { processAlive, waitForExit } from './pid-file.js';

/** What a running host leaves in the data directory so other commands can find it. */
export interface HostState {
  pid: number;
  url: string;
  startedAt: string;
}

/** What the supervisor of a daemon host (`atolye host --supervise`) leaves beside host.json. */
export interface SupervisorState {
  pid: number;
  startedAt: string;
  /** The host it runs now, or ran last when it is waiting to restart it. */
  hostPid?: number;
  /** Starts of the host after the first. */
  restarts: number;
  state: 'running' | 'restarting';
  /** When the next start is due (ISO time), while `restarting`. */
  nextStartAt?: string;
}

export const hostStateFile = (config: Pick<AtolyeConfig, 'storage'>): PidFile<HostState> =>
  new PidFile(config, 'host.json');

export const supervisorStateFile = (
  config: Pick<AtolyeConfig, 'storage'>,
): PidFile<SupervisorState> => new PidFile(config, 'host-supervisor.json');

export function writeHostState(config: AtolyeConfig, state: HostState): void {
  hostStateFile(config).write(state);
}

export function removeHostState(config: AtolyeConfig, pid = process.pid): void {
  hostStateFile(config).remove(pid);
}

/** The supervisor of the daemon host, if it lives (and its pid was not given to another program). */
export function readSupervisorState(config: AtolyeConfig): SupervisorState | undefined {
  const state = supervisorStateFile(config).read();
  return state && isAtolyeProcess(state.pid) ? state : undefined;
}

/** SIGTERM to a supervisor: it restarts nothing more and stops its host (drained), if one runs. */
export async function stopSupervisor(
  supervisor: SupervisorState,
  timeoutMs = 60_000,
): Promise<void> {
  if (!processAlive(supervisor.pid)) return;
  process.kill(supervisor.pid, 'SIGTERM');
  if (!(await waitForExit(supervisor.pid, timeoutMs))) process.kill(supervisor.pid, 'SIGKILL');
}

/**
 * Stops a daemon host this process started, with its supervisor (which stops the host, drained,
 * and the host its services), and waits until both are gone.
 */
export async function stopHostDaemon(config: AtolyeConfig, host: HostState): Promise<void> {
  const supervisor = readSupervisorState(config);
  if (supervisor) await stopSupervisor(supervisor);
  if (!processAlive(host.pid)) return;
  process.kill(host.pid, 'SIGTERM');
  if (!(await waitForExit(host.pid, 60_000))) process.kill(host.pid, 'SIGKILL');
}

/** The host named by the state file, if its process lives and its /healthz answers. */
export async function findRunningHost(config: AtolyeConfig): Promise<HostState | undefined> {
  const state = hostStateFile(config).read();
  if (!state || !processAlive(state.pid)) return undefined;
  return (await healthy(state.url)) ? state : undefined;
}

/**
 * Starts the worker host as a background daemon under its supervisor (`atolye host --supervise`,
 * which restarts it when it dies) and waits until it answers. The console output of both goes to
 * `<log dir>/host.out`; if the host dies while starting, the error quotes the end of that file.
 */
export async function startHostDaemon(
  config: AtolyeConfig,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; args?: string[] } = {},
): Promise<HostState> {
  const supervisor = readSupervisorState(config);
  if (supervisor && supervisor.pid !== process.pid) {
    // It is restarting a host that died; a second supervisor would start a second host.
    throw new AtolyeError(
      'HOST_RESTARTING',
      `the worker host's supervisor (pid ${supervisor.pid}) is restarting it after a crash; ` +
        'wait a moment and deploy again (see `npx atolye status`), or stop it with `npx atolye down`',
      { retryable: true },
    );
  }
  const previous = hostStateFile(config).read();
  if (previous && previous.pid !== process.pid && isAtolyeProcess(previous.pid)) {
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
  // Earlier starts wrote above this point; only this start's words explain its failure.
  const from = fstatSync(out).size;
  const child = spawn(
    process.execPath,
    [path.join(projectRoot(), 'bin', 'atolye.js'), ...(options.args ?? []), 'host', '--supervise'],
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
      const words = tail(outFile, from);
      throw new AtolyeError(
        'HOST_START_FAILED',
        `the worker host exited with status ${exited} while starting; the end of ${outFile}:\n${words}` +
          busyPortFix(words, {
            key: 'host.port',
            env: 'ATOLYE_HOST_PORT',
            port: config.host.port,
          }),
      );
    }
    // The host is the supervisor's child: the supervisor names it, and it names itself.
    const supervising = supervisorStateFile(config).read();
    const state = hostStateFile(config).read();
    const ours = supervising !== undefined && supervising.pid === child.pid;
    if (state && ours && supervising.hostPid === state.pid && (await healthy(state.url))) {
      return state;
    }
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new AtolyeError(
    'HOST_START_FAILED',
    `the worker host did not answer within ${(options.timeoutMs ?? 30_000) / 1000} s; see ${outFile}:\n${tail(outFile, from)}`,
    { retryable: true },
  );
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

/** The last lines written to `file` from byte `from` on. */
function tail(file: string, from: number, lines = 20): string {
  if (!existsSync(file)) return '(no output)';
  const text = readFileSync(file).subarray(from).toString('utf8').trimEnd();
  return text === '' ? '(no output)' : text.split('\n').slice(-lines).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
