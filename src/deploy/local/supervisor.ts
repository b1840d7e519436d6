import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot, resolveFromRoot, type AtolyeConfig } from '../../config/index.js';
import { errorMessage } from '../../errors.js';
import { createLogging, type Logging } from '../../logging/index.js';
import { flushSentry, initSentry } from '../../monitoring/index.js';
import { restartDelay, type RestartBackoff } from '../../runtime/host/index.js';
import { hostStateFile, supervisorStateFile, type SupervisorState } from './daemon.js';
import { readOrchestratorState } from './orchestrator.js';
import { isAtolyeProcess, waitForExit } from './pid-file.js';

/** When the supervisor restarts a host that died, and when it stops trying. */
export interface RestartPolicy {
  backoff: RestartBackoff;
  /** A host that ran this long before it died was healthy: its crash starts the count again. */
  stableMs: number;
  /** Crashes in a row (each restart lasting less than `stableMs`) before the supervisor gives up. */
  maxCrashes: number;
}

/** 1, 2, 4, 8 s before the restarts; a fifth crash, after four restarts that each lasted less than a minute, ends it. */
export const HOST_RESTART_POLICY: RestartPolicy = {
  backoff: { initialMs: 1_000, maxMs: 30_000, factor: 2 },
  stableMs: 60_000,
  maxCrashes: 5,
};

export interface HostSupervisorOptions {
  config: AtolyeConfig;
  /** How to run the host: `atolye host` with the caller's flags. */
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  policy?: Partial<RestartPolicy>;
  /**
   * The supervisor's logging, opened for each line and closed after it. The host writes the
   * channel files while it runs, and two processes writing (and rotating) one file lose lines:
   * the supervisor only writes while no host runs.
   */
  openLogging: () => Logging;
  /** How long an orphaned orchestrator may take to stop after SIGTERM. */
  orphanGraceMs?: number;
}

/** Why supervision ended. */
export type SupervisionEnd =
  /** stop() was called: SIGTERM or SIGINT to the supervisor. */
  | { reason: 'stopped' }
  /** The host exited with status 0 by itself (`atolye down`, SIGTERM to the host). */
  | { reason: 'host-stopped' }
  /** The first start failed before the host answered: a problem for the person starting it. */
  | { reason: 'start-failed'; message: string }
  /** It crashed `maxCrashes` times in a row soon after starting: restarting would only spin. */
  | { reason: 'crash-loop'; message: string }
  /** The supervisor itself failed while it recovered from a crash. */
  | { reason: 'failed'; message: string };

/**
 * Runs the worker host as a child process and restarts it, with backoff, when it dies: killed,
 * out of memory, or a fault that ended the process. The restarted host brings back its last
 * deployment by itself (it is in `<data>/host.sqlite`). A clean exit (status 0) is a stop someone
 * asked for and ends supervision; so does a first start that fails, and a crash loop. Each crash
 * is an error line in `system` (so in `errors`, and a Sentry event when reporting is on).
 */
export class HostSupervisor {
  readonly done: Promise<SupervisionEnd>;
  private readonly policy: RestartPolicy;
  private readonly startedAt = new Date().toISOString();
  private child?: ChildProcess;
  private hostStartedAt = 0;
  private up = false;
  private upTimer?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  private nextStartAt?: number;
  private launches = 0;
  private crashes = 0;
  private stopping = false;
  /** A crash is being handled (its lines written, an orphan stopped) before the restart. */
  private recovering = false;
  private settle!: (end: SupervisionEnd) => void;

  constructor(private readonly options: HostSupervisorOptions) {
    this.policy = { ...HOST_RESTART_POLICY, ...options.policy };
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  start(): void {
    if (this.launches === 0) this.launch();
  }

  /** Stops the host (SIGTERM: it drains its calls) and restarts nothing more. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.child) this.child.kill('SIGTERM');
    else if (!this.recovering) this.finish({ reason: 'stopped' });
  }

  private launch(): void {
    this.restartTimer = undefined;
    this.nextStartAt = undefined;
    this.launches += 1;
    this.up = false;
    this.hostStartedAt = performance.now();
    const child = spawn(this.options.command, [...this.options.args], {
      cwd: this.options.cwd,
      env: this.options.env ?? process.env,
      // The host's console goes where the supervisor's does (host.out for the daemon).
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.child = child;
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (ended) return;
      ended = true;
      this.exited(child, code, signal).catch((error: unknown) =>
        this.finish({
          reason: 'failed',
          message: `the supervisor failed while it recovered the worker host: ${errorMessage(error)}`,
        }),
      );
    };
    child.once('exit', end);
    // A spawn that failed emits no 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) end(null, null);
    });
    this.writeState('running');
    // Up once it has written its state file: from then on, a death is a crash to recover from.
    this.upTimer = setInterval(() => {
      if (hostStateFile(this.options.config).read()?.pid !== child.pid) return;
      this.up = true;
      clearInterval(this.upTimer);
    }, 200);
  }

  private async exited(
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    clearInterval(this.upTimer);
    this.child = undefined;
    if (this.stopping) return this.finish({ reason: 'stopped' });
    if (code === 0 && signal === null) return this.finish({ reason: 'host-stopped' });
    this.recovering = true;
    const pid = child.pid;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    const uptimeMs = performance.now() - this.hostStartedAt;
    // A host that dies cannot remove its own state file, nor stop the orchestrator it ran.
    const stateFile = hostStateFile(this.options.config);
    const last = stateFile.read();
    if (pid !== undefined) stateFile.remove(pid);
    await this.stopOrphanedOrchestrator(last?.pid === pid ? last?.url : undefined);

    if (!this.up && this.launches === 1) {
      return this.finish({
        reason: 'start-failed',
        message: `the worker host exited with ${how} before it answered; its own words are above`,
      });
    }
    if (uptimeMs >= this.policy.stableMs) this.crashes = 0;
    this.crashes += 1;
    const fields = {
      hostPid: pid,
      code,
      signal,
      uptimeMs: Math.round(uptimeMs),
      crashes: this.crashes,
      restarts: this.launches - 1,
    };
    if (this.crashes >= this.policy.maxCrashes) {
      const message =
        `the worker host crashed ${this.crashes} times in a row, each restart lasting less than ` +
        `${seconds(this.policy.stableMs)} (the last ended with ${how}); ` +
        `not restarting it again (crash loop): find the cause in ${this.hostOut()} and the ` +
        '`errors` channel, fix it, then run `npm run deploy`';
      await this.note('error', message, fields);
      return this.finish({ reason: 'crash-loop', message });
    }
    const delayMs = restartDelay(this.policy.backoff, this.crashes);
    await this.note(
      'error',
      `the worker host (pid ${pid}) died with ${how} after ${seconds(uptimeMs)}${this.up ? '' : ', before it answered'}; ` +
        `restarting it in ${seconds(delayMs)} with its last deployment ` +
        `(crash ${this.crashes} of ${this.policy.maxCrashes} in a row before the supervisor gives up)`,
      { ...fields, retryInMs: delayMs },
    );
    this.recovering = false;
    if (this.stopping) return this.finish({ reason: 'stopped' });
    this.nextStartAt = Date.now() + delayMs;
    this.writeState('restarting', pid);
    this.restartTimer = setTimeout(() => this.launch(), delayMs);
  }

  /**
   * The orchestrator a dead host ran lives on in its own process group, holding its port and its
   * runs' leases: the restarted host would start a second one. Only the one the dead host started
   * is stopped (its environment names that host); its runs resume in the next one.
   */
  private async stopOrphanedOrchestrator(hostUrl: string | undefined): Promise<void> {
    const orchestrator = readOrchestratorState(this.options.config);
    if (!orchestrator || hostUrl === undefined || !isAtolyeProcess(orchestrator.pid)) return;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${orchestrator.pid}/environ`, 'utf8').split('\0');
    } catch {
      return; // no /proc: it cannot be told from an orchestrator someone runs by hand
    }
    if (!environ.includes(`ATOLYE_HOST_URL=${hostUrl}`)) return;
    signalGroup(orchestrator.pid, 'SIGTERM');
    const graceMs = this.options.orphanGraceMs ?? 15_000;
    if (!(await waitForExit(orchestrator.pid, graceMs))) signalGroup(orchestrator.pid, 'SIGKILL');
  }

  private finish(end: SupervisionEnd): void {
    clearInterval(this.upTimer);
    clearTimeout(this.restartTimer);
    supervisorStateFile(this.options.config).remove(process.pid);
    this.settle(end);
  }

  private writeState(state: SupervisorState['state'], hostPid = this.child?.pid): void {
    try {
      supervisorStateFile(this.options.config).write({
        pid: process.pid,
        startedAt: this.startedAt,
        hostPid,
        restarts: Math.max(0, this.launches - 1),
        state,
        ...(this.nextStartAt === undefined
          ? {}
          : { nextStartAt: new Date(this.nextStartAt).toISOString() }),
      });
    } catch (error) {
      // Only `status` and `deploy` read it; supervising goes on without it.
      console.error(`atolye host supervisor: could not write its state: ${errorMessage(error)}`);
    }
  }

  /** One line in `system` (error lines also go to `errors` and to Sentry), written while no host runs. */
  private async note(
    level: 'info' | 'error',
    msg: string,
    fields: Record<string, unknown>,
  ): Promise<void> {
    try {
      const logging = this.options.openLogging();
      logging.log('system')[level](msg, fields);
      await logging.close();
      await flushSentry();
    } catch (error) {
      // The line is lost, not the supervision: say so where host.out keeps it.
      console.error(`atolye host supervisor: could not log "${msg}": ${errorMessage(error)}`);
    }
  }

  private hostOut(): string {
    return path.join(resolveFromRoot(this.options.config.logging.dir), 'host.out');
  }
}

/**
 * `atolye host --supervise`: runs `atolye host` (with the same `--set` flags, port and
 * orchestrator choice) under a HostSupervisor until the host stops cleanly, this process gets
 * SIGTERM or SIGINT (the host drains first), or supervision gives up. Its crash lines go to the
 * channel files and, with reporting on, to Sentry as `service: host-supervisor`.
 */
export async function superviseHost(
  config: AtolyeConfig,
  flags: { overrides: Record<string, string>; port?: number; orchestrator: boolean },
): Promise<SupervisionEnd> {
  initSentry(config, { service: 'host-supervisor' });
  const sets = Object.entries(flags.overrides).flatMap(([key, value]) => [
    '--set',
    `${key}=${value}`,
  ]);
  const supervisor = new HostSupervisor({
    config,
    command: process.execPath,
    args: [
      path.join(projectRoot(), 'bin', 'atolye.js'),
      ...sets,
      'host',
      ...(flags.port === undefined ? [] : ['--port', String(flags.port)]),
      ...(flags.orchestrator ? [] : ['--no-orchestrator']),
    ],
    cwd: projectRoot(),
    openLogging: () => createLogging(config, { service: 'host-supervisor' }),
  });
  // `on`, not `once`: a second signal must not fall back to the default (die at once).
  const stop = (): void => supervisor.stop();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  supervisor.start();
  try {
    return await supervisor.done;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await flushSentry();
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
