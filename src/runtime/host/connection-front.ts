import type { ChildProcess } from 'node:child_process';
import net, { type Server, type Socket } from 'node:net';
import type { ErrorCode } from '../../error-codes/index.js';
import { errorMessage } from '../../errors.js';
import { rawErrorAnswer } from '../connection-drain.js';
import { isServiceReply, type HandedConnection } from '../handed-connections.js';
import { outsideRequest, type HostLogger } from './log.js';

/** Where a service serves, and how long the host holds its clients while no process takes them. */
export interface FrontOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Connections held at once at most; past it a new one is answered 503 at once. */
  maxHeld?: number;
  /** How long a connection is held at most before it is answered 503 with Retry-After. */
  maxHoldMs?: number;
}

export const DEFAULT_MAX_HELD = 1_000;
export const DEFAULT_MAX_HOLD_MS = 30_000;

/** What a held connection gets when no process takes it in time. */
const UNAVAILABLE: ErrorCode = 'ORCHESTRATOR_UNAVAILABLE';
/** TCP keep-alive probes as the services' own servers set them (runtime/server-timeouts.ts). */
const TCP_KEEP_ALIVE_DELAY_MS = 60_000;

interface Held {
  socket: Socket;
  /** performance.now() at accept: the hold is bounded from there, across processes. */
  since: number;
  timer?: NodeJS.Timeout;
}

/**
 * The host's listening socket for a service (the orchestrator's run API): it accepts each
 * connection paused and hands it over IPC to the service's current process, which serves it
 * (runtime/handed-connections.ts). While no process takes connections (it crashed, it restarts, it
 * is starting) they are held, in order, at most `maxHeld` of them for at most `maxHoldMs` each;
 * the next process that says it is ready gets them. So clients are never refused while the
 * service restarts; one held too long gets a real answer, 503 with Retry-After.
 *
 * A connection is sent with `keepOpen` and closed here only once the process says it took it, so
 * one sent to a process that dies first is still here and goes to the next.
 */
export class ConnectionFront {
  private server?: Server;
  private target?: { child: ChildProcess; ready: boolean };
  private readonly held: Held[] = [];
  /** Sent, not yet taken or declined. */
  private readonly sent = new Map<number, { held: Held; child: ChildProcess }>();
  private nextId = 0;
  private closing?: string;
  /** 503 answers since a process last took the held connections (logged once a spell). */
  private unanswered = 0;

  constructor(
    private readonly name: string,
    private readonly options: FrontOptions,
    private readonly deps: { logger: HostLogger; retryAfterS: () => number },
  ) {}

  /** Listens; false when it cannot (the port is taken, say): the service then listens itself. */
  async open(): Promise<boolean> {
    if (this.server) return true;
    this.closing = undefined;
    const server = outsideRequest(() =>
      net.createServer(
        {
          pauseOnConnect: true,
          // Socket options live with the socket, so they hold in the process that serves it.
          noDelay: true,
          keepAlive: true,
          keepAliveInitialDelay: TCP_KEEP_ALIVE_DELAY_MS,
        },
        (socket) => this.accept(socket),
      ),
    );
    const { host, port } = this.options;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.deps.logger.system.warn(
        `the host cannot listen on ${host}:${port} for the ${this.name} (${errorMessage(error)}); it listens itself, and its restarts refuse connections`,
        { service: this.name, err: error },
      );
      return false;
    }
    server.on('error', (error) =>
      this.deps.logger.system.error(
        `the ${this.name}'s listening socket failed: ${error.message}`,
        {
          service: this.name,
          err: error,
        },
      ),
    );
    this.server = server;
    return true;
  }

  /** The port it listens on, once open. */
  port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  heldCount(): number {
    return this.held.length;
  }

  /** The process to hand connections to once it says it is ready. */
  attach(child: ChildProcess): void {
    this.target = { child, ready: false };
    child.on('message', (message: unknown) => this.onReply(child, message));
    // No reply can come after this: what was sent and not taken goes to the next process.
    child.once('disconnect', () => this.detach(child));
    child.once('exit', () => this.detach(child));
  }

  /** Hands `child` no more connections (it is stopping): new ones wait for the next process. */
  release(child: ChildProcess): void {
    if (this.target?.child === child) this.target = undefined;
  }

  /** Stops listening and answers every held connection 503: the service is not coming back. */
  close(reason: string): void {
    this.closing = reason;
    this.target = undefined;
    const server = this.server;
    this.server = undefined;
    for (const held of this.held.splice(0)) this.answer(held, reason);
    // Its 'close' waits for the connections handed out, which are not the front's any more.
    server?.close();
  }

  private accept(socket: Socket): void {
    // A client that gives up while held is its own business; the host has nothing to do about it.
    socket.on('error', () => undefined);
    const held: Held = { socket, since: performance.now() };
    if (this.target?.ready) this.hand(held, this.target.child);
    else this.hold(held);
  }

  private hold(held: Held): void {
    if (this.closing !== undefined) return this.answer(held, this.closing);
    const waited = performance.now() - held.since;
    const maxHoldMs = this.options.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
    if (this.held.length >= (this.options.maxHeld ?? DEFAULT_MAX_HELD)) {
      return this.answer(held, `${this.held.length} connections already wait for it`);
    }
    if (waited >= maxHoldMs) return this.answer(held, `it took none for ${maxHoldMs / 1000} s`);
    held.timer = setTimeout(() => {
      const index = this.held.indexOf(held);
      if (index >= 0) this.held.splice(index, 1);
      this.answer(held, `it took none for ${maxHoldMs / 1000} s`);
    }, maxHoldMs - waited);
    // In order of arrival, also for one given back by a process that stopped.
    const after = this.held.findIndex((other) => other.since > held.since);
    if (after < 0) this.held.push(held);
    else this.held.splice(after, 0, held);
  }

  private hand(held: Held, child: ChildProcess): void {
    clearTimeout(held.timer);
    const id = ++this.nextId;
    this.sent.set(id, { held, child });
    const giveBack = (): void => {
      if (this.sent.delete(id)) this.hold(held);
    };
    const message: HandedConnection = { atolye: 'connection', id };
    try {
      child.send(message, held.socket, { keepOpen: true }, (error) => {
        if (error) giveBack();
      });
    } catch {
      // The channel closed under it: the process is going, the next one gets the connection.
      giveBack();
    }
  }

  private onReply(child: ChildProcess, message: unknown): void {
    if (!isServiceReply(message)) return;
    if (message.atolye === 'ready') {
      if (this.target?.child !== child) return;
      this.target.ready = true;
      const waiting = this.held.splice(0);
      if (waiting.length > 0 || this.unanswered > 0) {
        const longestMs = Math.round(performance.now() - (waiting[0]?.since ?? performance.now()));
        this.deps.logger.system.info(
          `the ${this.name} is taking connections: ${waiting.length} held (the longest ${longestMs} ms), ${this.unanswered} answered 503 meanwhile`,
          { service: this.name, held: waiting.length, longestMs, answered503: this.unanswered },
        );
      }
      this.unanswered = 0;
      for (const held of waiting) this.hand(held, child);
      return;
    }
    const entry = this.sent.get(message.id);
    if (!entry) return;
    this.sent.delete(message.id);
    // Taken: the process has its own copy of the socket, and this one only keeps it open.
    if (message.atolye === 'took') entry.held.socket.destroy();
    else this.hold(entry.held);
  }

  private detach(child: ChildProcess): void {
    this.release(child);
    for (const [id, entry] of this.sent) {
      if (entry.child !== child) continue;
      this.sent.delete(id);
      this.hold(entry.held);
    }
  }

  /** A real answer instead of a reset: 503, the catalogue's error body, and when to retry. */
  private answer(held: Held, why: string): void {
    const { socket } = held;
    clearTimeout(held.timer);
    if (this.unanswered === 0 && this.closing === undefined) {
      this.deps.logger.system.warn(`connections to the ${this.name} are answered 503: ${why}`, {
        service: this.name,
      });
    }
    this.unanswered += 1;
    const retryAfterS = this.deps.retryAfterS();
    const message = `the ${this.name} is not taking connections (${why}); retry after ${retryAfterS} s`;
    // The request is read and dropped: closing a socket with unread data resets it, and the
    // client would lose this answer.
    socket.resume();
    socket.end(rawErrorAnswer(UNAVAILABLE, message, retryAfterS));
    setTimeout(() => socket.destroy(), 5_000).unref();
  }
}
