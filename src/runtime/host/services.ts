import { spawn, type ChildProcess } from 'node:child_process';
import { DEFAULT_RESTART_BACKOFF, restartDelay, type RestartBackoff } from './backoff.js';
import type { LogRecord } from '../../logging/record.js';
import { eachLine } from './lines.js';
import { outsideRequest, silentLogger, type HostLogger } from './log.js';

/** A long-running command the host keeps alive (the orchestrator, for one). */
export interface ServiceSpec {
  name: string;
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** The service's environment; the host's own by default. */
  env?: NodeJS.ProcessEnv;
  backoff?: RestartBackoff;
  /** Once up this long the service counts as healthy again: its next crash restarts it quickly. */
  stableMs?: number;
  /** How long a stopping service may take after SIGTERM before it gets SIGKILL. */
  stopGraceMs?: number;
  /**
   * The service prints its log records as JSON lines on stdout, and the host writes them to the
   * channel files: one process writes those files, as for the workers.
   */
  forwardsRecords?: boolean;
}

export type ServiceState = 'idle' | 'running' | 'backoff' | 'stopping' | 'stopped';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  pid?: number;
  /** Starts after the first one. */
  restarts: number;
  startedAt?: string;
  uptimeMs?: number;
  lastExit?: {
    code: number | null;
    signal: NodeJS.Signals | null;
    at: string;
    /** Its last lines on stderr: why a service that ended by itself ended (a port in use, say). */
    stderr: string[];
  };
  nextStartInMs?: number;
}

const STDERR_TAIL_LINES = 20;
const STDERR_LINE_CHARS = 2_000;

/**
 * Supervises one command: starts it, forwards its output lines to the `system` channel, restarts
 * it with exponential backoff whenever it exits (a service is never meant to end on its own), and
 * stops it with SIGTERM, then SIGKILL after a grace period. The command runs in its own process
 * group so that stopping it also stops what it started (`npm run`, a shell).
 */
export class ServiceSupervisor {
  private state: ServiceState = 'idle';
  private child?: ChildProcess;
  private startedAt = 0;
  private failures = 0;
  private restarts = 0;
  private launches = 0;
  private lastExit?: ServiceStatus['lastExit'];
  private restartTimer?: NodeJS.Timeout;
  private nextStartAt = 0;
  private exited?: Promise<void>;
  private readonly logger: HostLogger;

  constructor(
    readonly spec: ServiceSpec,
    deps: { logger?: HostLogger } = {},
  ) {
    this.logger = deps.logger ?? silentLogger;
  }

  start(): void {
    if (this.state === 'running' || this.state === 'backoff' || this.state === 'stopping') return;
    this.launch();
  }

  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.state === 'running' && this.child) {
      this.state = 'stopping';
      const child = this.child;
      this.signal(child, 'SIGTERM');
      const kill = setTimeout(() => this.signal(child, 'SIGKILL'), this.spec.stopGraceMs ?? 10_000);
      await this.exited;
      clearTimeout(kill);
    } else if (this.state === 'stopping') {
      await this.exited;
    }
    this.state = 'stopped';
  }

  status(): ServiceStatus {
    const status: ServiceStatus = {
      name: this.spec.name,
      state: this.state,
      restarts: this.restarts,
    };
    if (this.state === 'running' || this.state === 'stopping') {
      status.pid = this.child?.pid;
      status.startedAt = new Date(Date.now() - (performance.now() - this.startedAt)).toISOString();
      status.uptimeMs = Math.round(performance.now() - this.startedAt);
    }
    if (this.lastExit) status.lastExit = this.lastExit;
    if (this.state === 'backoff')
      status.nextStartInMs = Math.max(0, Math.round(this.nextStartAt - performance.now()));
    return status;
  }

  private launch(): void {
    this.restartTimer = undefined;
    if (this.launches > 0) this.restarts += 1;
    this.launches += 1;
    this.state = 'running';
    this.startedAt = performance.now();
    const fields = { service: this.spec.name };
    const child = outsideRequest(() =>
      spawn(this.spec.command, [...(this.spec.args ?? [])], {
        cwd: this.spec.cwd,
        env: this.spec.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      }),
    );
    this.child = child;
    const pidFields = { ...fields, pid: child.pid };
    this.logger.system.info(`service ${this.spec.name} started`, {
      ...pidFields,
      restarts: this.restarts,
    });
    if (child.stdout)
      eachLine(child.stdout, (line) => {
        const record = this.spec.forwardsRecords ? recordOf(line) : undefined;
        if (record) this.logger.writeRecord(record);
        else this.logger.system.info(line, { ...pidFields, stream: 'stdout' });
      });
    // Lines may still arrive after 'exit': lastExit holds this array, not a copy, so they land.
    const stderrTail: string[] = [];
    if (child.stderr)
      eachLine(child.stderr, (line) => {
        this.logger.system.warn(line, { ...pidFields, stream: 'stderr' });
        stderrTail.push(line.slice(0, STDERR_LINE_CHARS));
        if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      });
    this.exited = new Promise<void>((resolve) => {
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (done) return;
        done = true;
        this.onExit(code, signal, stderrTail);
        resolve();
      };
      child.once('exit', finish);
      child.once('error', (error) => {
        this.logger.system.error(`service ${this.spec.name} could not run: ${error.message}`, {
          ...pidFields,
          err: error,
        });
        if (child.pid === undefined) finish(null, null);
      });
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, stderr: string[]): void {
    this.child = undefined;
    this.lastExit = { code, signal, at: new Date().toISOString(), stderr };
    const fields = { service: this.spec.name, code, signal };
    if (this.state === 'stopping') {
      this.logger.system.info(`service ${this.spec.name} stopped`, fields);
      return;
    }
    const uptimeMs = performance.now() - this.startedAt;
    if (uptimeMs >= (this.spec.stableMs ?? 30_000)) this.failures = 0;
    this.failures += 1;
    const delayMs = restartDelay(this.spec.backoff ?? DEFAULT_RESTART_BACKOFF, this.failures);
    this.logger.system.error(
      `service ${this.spec.name} exited with ${signal ? `signal ${signal}` : `code ${code}`} after ${Math.round(uptimeMs)} ms; restarting in ${delayMs} ms`,
      { ...fields, uptimeMs: Math.round(uptimeMs), failures: this.failures, retryInMs: delayMs },
    );
    this.state = 'backoff';
    this.nextStartAt = performance.now() + delayMs;
    this.restartTimer = outsideRequest(() => setTimeout(() => this.launch(), delayMs));
  }

  private signal(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  }
}

/** A forwarded log record, or undefined for any other line (which is logged as plain output). */
function recordOf(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<LogRecord>;
    return typeof parsed.channel === 'string' && typeof parsed.level === 'string'
      ? (parsed as LogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}
