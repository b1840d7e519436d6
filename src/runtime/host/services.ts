import { spawn, type ChildProcess } from 'node:child_process';
import { HANDED_PORT_ENV } from '../handed-connections.js';
import { DEFAULT_RESTART_BACKOFF, restartDelay, type RestartBackoff } from './backoff.js';
import { ConnectionFront, type FrontOptions } from './connection-front.js';
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
  /**
   * Where the service serves HTTP. The host listens there itself and hands each connection to the
   * service's process over IPC, holding them while it restarts, so that its clients are never
   * refused (host/connection-front.ts); the command takes them when it finds HANDED_PORT_ENV set
   * (runtime/handed-connections.ts). If the host cannot listen there, the command is started
   * without it and listens itself.
   */
  listen?: FrontOptions;
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
  /** The host's listening socket for the service, and the connections waiting there for it. */
  front?: { port: number; held: number };
}

const STDERR_TAIL_LINES = 20;
const STDERR_LINE_CHARS = 2_000;
/** Told to a client held too long: the seconds a start of the service takes, beyond its backoff. */
const RETRY_AFTER_START_S = 5;

/**
 * Supervises one command: starts it, forwards its output lines to the `system` channel, restarts
 * it with exponential backoff whenever it exits (a service is never meant to end on its own), and
 * stops it with SIGTERM, then SIGKILL after a grace period. The command runs in its own process
 * group so that stopping it also stops what it started (`npm run`, a shell). A service that
 * declares `listen` gets its connections from the host, which holds them across restarts.
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
  private readonly front?: ConnectionFront;
  /** The front being opened before the first launch. */
  private opening?: Promise<boolean>;

  constructor(
    readonly spec: ServiceSpec,
    deps: { logger?: HostLogger } = {},
  ) {
    this.logger = deps.logger ?? silentLogger;
    if (spec.listen) {
      this.front = new ConnectionFront(spec.name, spec.listen, {
        logger: this.logger,
        retryAfterS: () => this.retryAfterS(),
      });
    }
  }

  start(): void {
    if (this.state === 'running' || this.state === 'backoff' || this.state === 'stopping') return;
    if (!this.front) return this.launch();
    // Listen first: the command is told whether it gets its connections or listens itself.
    this.state = 'running';
    const opening = this.front.open();
    this.opening = opening;
    void opening.then(() => {
      this.opening = undefined;
      if (this.state === 'running' && !this.child) this.launch();
    });
  }

  /** Stops the service for good: the host stops listening for it too. */
  async stop(): Promise<void> {
    await this.halt();
    this.front?.close(`the worker host is stopping the ${this.spec.name}`);
    this.state = 'stopped';
  }

  /**
   * Stops the process and starts a new one (new code after a deploy). The old one finishes what
   * it serves; connections that arrive meanwhile wait in the host for the new one. One process at
   * a time: two orchestrators must not share a SQLite store.
   */
  async restart(): Promise<void> {
    await this.halt();
    this.state = 'stopped';
    this.start();
  }

  /** Ends the process (SIGTERM, then SIGKILL after the grace period) and cancels any restart. */
  private async halt(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.opening) {
      // The launch that waits for the front sees this state and does not happen.
      this.state = 'stopping';
      await this.opening;
    }
    if (this.state === 'running' && this.child) {
      this.state = 'stopping';
      const child = this.child;
      // New connections wait for the next process from now on.
      this.front?.release(child);
      this.signal(child, 'SIGTERM');
      const kill = setTimeout(() => this.signal(child, 'SIGKILL'), this.spec.stopGraceMs ?? 10_000);
      await this.exited;
      clearTimeout(kill);
    } else if (this.state === 'stopping') {
      await this.exited;
    }
  }

  status(): ServiceStatus {
    const status: ServiceStatus = {
      name: this.spec.name,
      state: this.state,
      restarts: this.restarts,
    };
    if ((this.state === 'running' || this.state === 'stopping') && this.child) {
      status.pid = this.child?.pid;
      status.startedAt = new Date(Date.now() - (performance.now() - this.startedAt)).toISOString();
      status.uptimeMs = Math.round(performance.now() - this.startedAt);
    }
    if (this.lastExit) status.lastExit = this.lastExit;
    if (this.state === 'backoff')
      status.nextStartInMs = Math.max(0, Math.round(this.nextStartAt - performance.now()));
    const port = this.front?.port();
    if (this.front && port !== undefined) status.front = { port, held: this.front.heldCount() };
    return status;
  }

  private launch(): void {
    this.restartTimer = undefined;
    if (this.launches > 0) this.restarts += 1;
    this.launches += 1;
    this.state = 'running';
    this.startedAt = performance.now();
    const fields = { service: this.spec.name };
    // Without the host's front (none declared, or the port was taken) the command listens itself.
    const handedPort = this.front?.port();
    const env = { ...(this.spec.env ?? process.env) };
    delete env[HANDED_PORT_ENV];
    if (handedPort !== undefined) env[HANDED_PORT_ENV] = String(handedPort);
    const child = outsideRequest(() =>
      spawn(this.spec.command, [...(this.spec.args ?? [])], {
        cwd: this.spec.cwd,
        env,
        stdio:
          handedPort === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'ipc'],
        detached: true,
      }),
    );
    this.child = child;
    if (handedPort !== undefined) this.front?.attach(child);
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

  /** When a client held too long may find the service: after its next start and its start-up. */
  private retryAfterS(): number {
    const untilStartMs = this.state === 'backoff' ? this.nextStartAt - performance.now() : 0;
    return Math.ceil(Math.max(0, untilStartMs) / 1000) + RETRY_AFTER_START_S;
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
