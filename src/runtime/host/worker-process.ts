import { fork, type ChildProcess } from 'node:child_process';
import { AtolyeError, errorMessage } from '../../errors.js';
import type { InvocationMeta } from '../contract.js';
import type { HostMessage, WireError, WorkerMessage } from '../protocol.js';
import { functionTimeout, inputUnsendable, workerCrashed, workerKilled } from './failures.js';
import { eachLine, LineTail } from './lines.js';
import type { HostLogger, RecordStamp } from './log.js';
import { LogForwarder } from './log-forwarder.js';
import { StackMapper } from './stack-mapper.js';
import { describeExit, type ExitReason, type WorkerExit } from './worker-exit.js';

export type { ExitReason, WorkerExit } from './worker-exit.js';

export type WorkerState = 'starting' | 'ready' | 'stopping' | 'exited';

/** A failed reply carries `retryAfterS` when the caller should send the call again (a kill). */
export type WorkerReply =
  | { ok: true; output: unknown }
  | { ok: false; status: number; error: WireError; retryAfterS?: number };

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
  private readonly logs: LogForwarder;
  private readonly pings = new Map<string, PendingPing>();
  // V8's out-of-memory report is about 25 lines; its FATAL ERROR line must still be in the tail.
  private readonly stderrTail = new LineTail(40);
  private outOfMemory = false;
  private readonly startTimer: NodeJS.Timeout;
  private ending?: { reason: ExitReason; message: string };
  private sequence = 0;
  private settleReady!: (error?: AtolyeError) => void;
  private settleExit!: (exit: WorkerExit) => void;

  constructor(private readonly options: WorkerProcessOptions) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.ready.catch(() => undefined);
    this.exited = new Promise<WorkerExit>((resolve) => (this.settleExit = resolve));

    this.child = fork(options.bundlePath, [], {
      // No --enable-source-maps: it parses the whole map at every start; the host maps the
      // stacks a worker logs instead (StackMapper).
      execArgv: [`--max-old-space-size=${options.memoryMb}`],
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.pid = this.child.pid ?? -1;
    this.logs = new LogForwarder(
      options.functionName,
      this.pid,
      options.stamp,
      options.logger,
      new StackMapper(options.bundlePath),
    );
    this.startTimer = setTimeout(
      () =>
        this.kill('start-failed', `it did not report ready within ${options.startTimeoutMs} ms`),
      options.startTimeoutMs,
    );
    this.child.on('message', (message: WorkerMessage) => this.received(message));
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
      eachLine(this.child.stdout, (line) =>
        options.logger.system.info(line, { ...fields, stream: 'stdout' }),
      );
    }
    if (this.child.stderr) {
      eachLine(this.child.stderr, (line) => {
        this.stderrTail.push(line);
        if (line.includes('JavaScript heap out of memory')) this.outOfMemory = true;
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
      return Promise.resolve({
        ok: false,
        ...workerCrashed(`worker ${this.pid} is ${this.state}, not ready`),
      });
    }
    const id = String((this.sequence += 1));
    // Sent first: a message the channel cannot carry fails this call only, and the worker, which
    // received nothing, stays in service. Its reply cannot arrive before this turn ends.
    const unsent = this.send({ t: 'invoke', id, input, meta, timeoutMs });
    if (unsent !== undefined) {
      return Promise.resolve({ ok: false, ...inputUnsendable(this.options.functionName, unsent) });
    }
    this.logs.started(meta);
    return new Promise<WorkerReply>((resolve) => {
      const timer = setTimeout(() => this.onDeadline(id, timeoutMs), timeoutMs);
      this.pending.set(id, { meta, timer, resolve });
    });
  }

  /** Round-trips a ping; resolves with the worker's resident set size. */
  ping(timeoutMs: number): Promise<number> {
    if (this.state !== 'ready') {
      return Promise.reject(
        new AtolyeError('WORKER_UNAVAILABLE', `worker ${this.pid} is ${this.state}`),
      );
    }
    const id = `ping-${(this.sequence += 1)}`;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        reject(
          new AtolyeError(
            'WORKER_UNRESPONSIVE',
            `worker ${this.pid} did not answer a ping within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.pings.set(id, { timer, resolve, reject });
      const unsent = this.send({ t: 'ping', id });
      if (unsent === undefined) return;
      clearTimeout(timer);
      this.pings.delete(id);
      reject(
        new AtolyeError(
          'WORKER_UNAVAILABLE',
          `worker ${this.pid} cannot be sent a ping: ${unsent}`,
        ),
      );
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
    if (this.send({ t: 'shutdown' }) !== undefined) this.child.kill('SIGKILL');
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

  /**
   * Writes a message to the worker. The channel serialises it at once, and that can throw (a
   * value nested too deep for JSON.stringify, a BigInt): the reason is returned, never thrown,
   * since a throw here would escape into the host's event loop and end every worker with it.
   */
  private send(message: HostMessage): string | undefined {
    if (!this.child.connected) return undefined;
    try {
      this.child.send(message);
      return undefined;
    } catch (error) {
      return errorMessage(error);
    }
  }

  /** A worker's message; one the host fails to handle is logged, not thrown into the event loop. */
  private received(message: WorkerMessage): void {
    try {
      this.onMessage(message);
    } catch (error) {
      this.options.logger.system.error(
        `a message from worker ${this.pid} of ${this.options.functionName} could not be handled: ${errorMessage(error)}`,
        { function: this.options.functionName, worker: this.pid, err: error },
      );
    }
  }

  private onMessage(message: WorkerMessage): void {
    if (message === null || typeof message !== 'object') return;
    switch (message.t) {
      case 'result': {
        const call = this.pending.get(message.id);
        if (!call) return; // a reply after the deadline: the caller already has its 504
        this.pending.delete(message.id);
        clearTimeout(call.timer);
        this.logs.finished(call.meta);
        call.resolve(
          message.ok
            ? { ok: true, output: message.output }
            : { ok: false, status: message.status, error: message.error },
        );
        return;
      }
      case 'log':
        this.logs.forward(message.record);
        return;
      case 'batch':
        for (const part of message.messages) this.onMessage(part);
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
    this.logs.finished(call.meta);
    call.resolve({ ok: false, ...functionTimeout(this.options.functionName, timeoutMs) });
    this.kill('timeout', `call ${call.meta.invocationId} overran the ${timeoutMs} ms timeout`);
  }

  private onError(error: Error): void {
    this.options.logger.system.error(
      `worker of ${this.options.functionName} reported an error: ${error.message}`,
      {
        function: this.options.functionName,
        worker: this.pid,
        err: error,
      },
    );
    // A fork that never spawned emits no 'exit'.
    if (this.child.pid === undefined) this.finish(null, null);
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === 'exited') return;
    const wasStarting = this.state === 'starting';
    clearTimeout(this.startTimer);
    this.state = 'exited';
    const exit = describeExit({
      pid: this.pid,
      code,
      signal,
      wasStarting,
      uptimeMs: this.readyAt ? performance.now() - this.readyAt : 0,
      ending: this.ending,
      said: this.outOfMemory
        ? `it ran out of memory (its heap limit is limits.memoryMb = ${this.options.memoryMb} MB)`
        : this.stderrTail.summary(),
    });
    const lost =
      exit.reason === 'timeout' ? `${exit.message}; this call was cut off with it` : exit.message;
    const failed = exit.reason === 'killed' ? workerKilled : workerCrashed;
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.resolve({ ok: false, ...failed(`${this.options.functionName}: ${lost}`) });
    }
    this.pending.clear();
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
      this.options.logger.system.error(
        `handling the exit of a worker failed: ${errorMessage(error)}`,
        { err: error },
      );
    }
  }
}
