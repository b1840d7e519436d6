import { fork, type ChildProcess } from 'node:child_process';
import { AtolyeError, errorMessage } from '../../errors.js';
import { CHANNELS, LOG_LEVELS, type Channel, type LogLevel, type LogRecord } from '../../logging/record.js';
import type { InvocationMeta } from '../contract.js';
import type { ForwardedLog, HostMessage, WireError, WorkerMessage } from '../protocol.js';
import { functionTimeout, workerCrashed } from './failures.js';
import { eachLine, LineTail } from './lines.js';
import type { HostLogger, RecordStamp } from './log.js';

export type WorkerState = 'starting' | 'ready' | 'stopping' | 'exited';

/** Why a worker ended: the host stopped it, killed it for overrunning, or it died on its own. */
export type ExitReason = 'stopped' | 'timeout' | 'start-failed' | 'crashed';

export interface WorkerExit {
  reason: ExitReason;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** One sentence for logs and replies, quoting the last stderr line when there is one. */
  message: string;
  /** How long the worker was ready, 0 when it never was. */
  uptimeMs: number;
}

export type WorkerReply =
  | { ok: true; output: unknown }
  | { ok: false; status: number; error: WireError };

export interface WorkerProcessOptions {
  functionName: string;
  bundlePath: string;
  memoryMb: number;
  /** The complete environment of the child (see workerEnv). */
  env: NodeJS.ProcessEnv;
  logger: HostLogger;
  stamp: RecordStamp;
  startTimeoutMs: number;
  onExit?: (exit: WorkerExit) => void;
}

interface PendingCall {
  meta: InvocationMeta;
  timer: NodeJS.Timeout;
  resolve(reply: WorkerReply): void;
}

interface PendingPing {
  timer: NodeJS.Timeout;
  resolve(rssBytes: number): void;
  reject(error: AtolyeError): void;
}

const LEVELS = new Set<string>(LOG_LEVELS);
const CHANNEL_NAMES = new Set<string>(CHANNELS);
/** How long to wait after 'exit' for the pipes to flush, so a crash message can quote stderr. */
const STDIO_FLUSH_MS = 100;

/**
 * One worker: a forked function bundle speaking the IPC protocol. It tracks the calls in flight,
 * enforces each call's deadline (a call that overruns gets 504 and the process is killed, since
 * only a fresh process is sure to be free of the runaway work), and forwards the worker's log
 * records and output lines to the host's logger.
 */
export class WorkerProcess {
  readonly pid: number;
  readonly ready: Promise<void>;
  readonly exited: Promise<WorkerExit>;
  /** Milliseconds from fork to the worker's `ready`. */
  startMs?: number;
  private state: WorkerState = 'starting';
  private readyAt = 0;
  private readonly child: ChildProcess;
  private readonly forkedAt = performance.now();
  private readonly pending = new Map<string, PendingCall>();
  private readonly metaByInvocation = new Map<string, InvocationMeta>();
  private readonly pings = new Map<string, PendingPing>();
  private readonly stderrTail = new LineTail(10);
  private readonly startTimer: NodeJS.Timeout;
  private ending?: { reason: ExitReason; message: string };
  private sequence = 0;
  private records: LogRecord[] = [];
  private settleReady!: (error?: AtolyeError) => void;
  private settleExit!: (exit: WorkerExit) => void;

  constructor(private readonly options: WorkerProcessOptions) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.ready.catch(() => undefined);
    this.exited = new Promise<WorkerExit>((resolve) => (this.settleExit = resolve));

    this.child = fork(options.bundlePath, [], {
      execArgv: [`--max-old-space-size=${options.memoryMb}`, '--enable-source-maps'],
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.pid = this.child.pid ?? -1;
    this.startTimer = setTimeout(
      () => this.kill('start-failed', `it did not report ready within ${options.startTimeoutMs} ms`),
      options.startTimeoutMs,
    );
    this.child.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.child.on('error', (error) => this.onError(error));
    this.child.once('exit', (code, signal) => {
      // 'close' follows once stdout/stderr are drained; a grandchild holding the pipes must not stall it.
      const flush = setTimeout(() => this.finish(code, signal), STDIO_FLUSH_MS);
      this.child.once('close', () => {
        clearTimeout(flush);
        this.finish(code, signal);
      });
    });
    const fields = { function: options.functionName, worker: this.pid };
    if (this.child.stdout) {
      eachLine(this.child.stdout, (line) => options.logger.system.info(line, { ...fields, stream: 'stdout' }));
    }
    if (this.child.stderr) {
      eachLine(this.child.stderr, (line) => {
        this.stderrTail.push(line);
        options.logger.system.warn(line, { ...fields, stream: 'stderr' });
      });
    }
  }

  get currentState(): WorkerState {
    return this.state;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends one call; the reply resolves it, and so do the deadline and the worker's death. */
  invoke(input: unknown, meta: InvocationMeta, timeoutMs: number): Promise<WorkerReply> {
    if (this.state !== 'ready') {
      return Promise.resolve({ ok: false, ...workerCrashed(`worker ${this.pid} is ${this.state}, not ready`) });
    }
    const id = String((this.sequence += 1));
    return new Promise<WorkerReply>((resolve) => {
      const timer = setTimeout(() => this.onDeadline(id, timeoutMs), timeoutMs);
      this.pending.set(id, { meta, timer, resolve });
      this.metaByInvocation.set(meta.invocationId, meta);
      this.send({ t: 'invoke', id, input, meta, timeoutMs });
    });
  }

  /** Round-trips a ping; resolves with the worker's resident set size. */
  ping(timeoutMs: number): Promise<number> {
    if (this.state !== 'ready') {
      return Promise.reject(new AtolyeError('WORKER_UNAVAILABLE', `worker ${this.pid} is ${this.state}`));
    }
    const id = `ping-${(this.sequence += 1)}`;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        reject(new AtolyeError('WORKER_UNRESPONSIVE', `worker ${this.pid} did not answer a ping within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pings.set(id, { timer, resolve, reject });
      this.send({ t: 'ping', id });
    });
  }

  /** Asks the worker to finish its calls and leave; kills it after `graceMs`. */
  stop(graceMs: number): Promise<WorkerExit> {
    if (this.state === 'exited' || this.state === 'stopping') return this.exited;
    this.ending ??= { reason: 'stopped', message: 'stopped by the host' };
    if (this.state === 'starting') {
      this.child.kill('SIGKILL');
      return this.exited;
    }
    this.state = 'stopping';
    this.send({ t: 'shutdown' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    void this.exited.then(() => clearTimeout(timer));
    return this.exited;
  }

  /** Ends the worker at once; calls in flight fail with 502. */
  kill(reason: ExitReason, message: string): void {
    if (this.state === 'exited') return;
    this.ending ??= { reason, message };
    if (this.state !== 'starting') this.state = 'stopping';
    this.child.kill('SIGKILL');
  }

  private send(message: HostMessage): void {
    if (this.child.connected) this.child.send(message);
  }

  private onMessage(message: WorkerMessage): void {
    if (message === null || typeof message !== 'object') return;
    switch (message.t) {
      case 'result': {
        const call = this.pending.get(message.id);
        if (!call) return; // a reply after the deadline: the caller already has its 504
        this.pending.delete(message.id);
        clearTimeout(call.timer);
        this.forget(call.meta);
        call.resolve(
          message.ok
            ? { ok: true, output: message.output }
            : { ok: false, status: message.status, error: message.error },
        );
        return;
      }
      case 'log':
        this.forward(message.record);
        return;
      case 'pong': {
        const ping = this.pings.get(message.id);
        if (!ping) return;
        this.pings.delete(message.id);
        clearTimeout(ping.timer);
        ping.resolve(message.rssBytes);
        return;
      }
      case 'ready':
        if (this.state !== 'starting') return;
        clearTimeout(this.startTimer);
        this.state = 'ready';
        this.readyAt = performance.now();
        this.startMs = this.readyAt - this.forkedAt;
        this.settleReady();
        return;
    }
  }

  private onDeadline(id: string, timeoutMs: number): void {
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    this.forget(call.meta);
    call.resolve({ ok: false, ...functionTimeout(this.options.functionName, timeoutMs) });
    this.kill('timeout', `call ${call.meta.invocationId} overran the ${timeoutMs} ms timeout`);
  }

  private onError(error: Error): void {
    this.options.logger.system.error(`worker of ${this.options.functionName} reported an error: ${error.message}`, {
      function: this.options.functionName,
      worker: this.pid,
      err: error,
    });
    // A fork that never spawned emits no 'exit'.
    if (this.child.pid === undefined) this.finish(null, null);
  }

  private forget(meta: InvocationMeta): void {
    if (this.metaByInvocation.get(meta.invocationId) === meta) this.metaByInvocation.delete(meta.invocationId);
  }

  /** Writes a worker's record as a complete line, with the context of the call it belongs to. */
  private forward(record: ForwardedLog): void {
    if (record === null || typeof record !== 'object') return;
    const fields = record.fields !== null && typeof record.fields === 'object' ? record.fields : undefined;
    const meta = record.invocationId === undefined ? undefined : this.metaByInvocation.get(record.invocationId);
    const channel = typeof fields?.channel === 'string' && CHANNEL_NAMES.has(fields.channel) ? fields.channel : 'agent';
    const { stamp, functionName } = this.options;
    // Built as one literal, then the handler's fields: `{ ...fields, a, b, … }` costs about a
    // microsecond per added key on V8 11, twenty for a record like this one.
    const line: LogRecord = {
      ts: new Date().toISOString(),
      level: (LEVELS.has(record.level) ? record.level : 'info') as LogLevel,
      channel: channel as Channel,
      msg: String(record.msg),
      service: functionName,
      env: stamp.env,
      release: stamp.release,
      function: functionName,
      worker: this.pid,
      invocationId: record.invocationId,
      requestId: meta?.requestId,
      threadId: meta?.threadId,
      runId: meta?.runId,
      step: meta?.step,
    };
    if (fields) {
      for (const key in fields) if (!(key in line)) line[key] = fields[key];
    }
    // Written after this turn's replies have gone out, so a handler's logging adds no latency.
    this.records.push(line);
    if (this.records.length === 1) setImmediate(this.writeRecords);
  }

  private readonly writeRecords = (): void => {
    const records = this.records;
    this.records = [];
    for (const record of records) this.options.logger.writeRecord(record);
  };

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === 'exited') return;
    const wasStarting = this.state === 'starting';
    clearTimeout(this.startTimer);
    this.state = 'exited';
    const uptimeMs = this.readyAt ? performance.now() - this.readyAt : 0;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const said = this.stderrTail.summary();
    const quote = said ? `: ${said}` : '';
    let exit: WorkerExit;
    if (this.ending) {
      const reason = wasStarting && this.ending.reason !== 'stopped' ? 'start-failed' : this.ending.reason;
      exit = { reason, code, signal, uptimeMs, message: `worker ${this.pid} was ended because ${this.ending.message}` };
    } else if (wasStarting) {
      exit = { reason: 'start-failed', code, signal, uptimeMs, message: `worker exited with ${how} before it was ready${quote}` };
    } else {
      exit = { reason: 'crashed', code, signal, uptimeMs, message: `worker ${this.pid} exited unexpectedly with ${how}${quote}` };
    }
    const lost = exit.reason === 'timeout' ? `${exit.message}; this call was cut off with it` : exit.message;
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.resolve({ ok: false, ...workerCrashed(`${this.options.functionName}: ${lost}`) });
    }
    this.pending.clear();
    this.metaByInvocation.clear();
    for (const ping of this.pings.values()) {
      clearTimeout(ping.timer);
      ping.reject(new AtolyeError('WORKER_UNAVAILABLE', exit.message));
    }
    this.pings.clear();
    if (wasStarting) {
      this.settleReady(new AtolyeError('WORKER_START_FAILED', exit.message, { retryable: true }));
    }
    this.settleExit(exit);
    try {
      this.options.onExit?.(exit);
    } catch (error) {
      this.options.logger.system.error(`handling the exit of a worker failed: ${errorMessage(error)}`, { err: error });
    }
  }
}
