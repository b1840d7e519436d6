import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_CODES, type ErrorCode } from '../error-codes/index.js';

/**
 * Closes an HTTP server's connections without cutting its clients short. A request in progress
 * gets its answer; a connection just opened gets the answer to its first request; each of those
 * answers says `Connection: close`, and Node closes the connection after it. A connection kept
 * alive between requests is given a moment for its client's next request before it is closed:
 * closing it at once would race the request its client may be sending that instant. What is
 * still open after the grace period is cut: a request not answered yet (a long wait) gets
 * `unanswered` first, a whole HTTP answer (a 503 with Retry-After, so clients such as the SDK
 * send it again); an answer under way (an event stream) just ends, and its client re-attaches.
 */
export interface ConnectionDrain {
  /** Resolves once every connection has closed, or after `graceMs`, when the rest are cut. */
  drain(graceMs: number, unanswered?: string): Promise<void>;
}

/** How long a kept-alive connection may stay idle once the server drains. */
const KEPT_ALIVE_WAIT_MS = 250;

interface Connection {
  requests: number;
  /** The answers it is giving now. */
  answers: Set<ServerResponse>;
  idleTimer?: NodeJS.Timeout;
}

export function trackConnections(server: Server): ConnectionDrain {
  const connections = new Map<Socket, Connection>();
  let draining = false;
  let emptied: (() => void) | undefined;

  const endIfIdle = (socket: Socket, connection: Connection): void => {
    if (!draining || connection.requests === 0 || connection.answers.size > 0) return;
    connection.idleTimer ??= setTimeout(() => {
      if (connection.answers.size === 0) socket.end();
    }, KEPT_ALIVE_WAIT_MS).unref();
  };

  server.on('connection', (socket: Socket) => {
    connections.set(socket, { requests: 0, answers: new Set() });
    socket.once('close', () => {
      clearTimeout(connections.get(socket)?.idleTimer);
      connections.delete(socket);
      if (connections.size === 0) emptied?.();
    });
  });
  // Before the application's listener, which may write its answer's headers at once.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const connection = connections.get(socket);
    if (!connection) return;
    if (draining) res.shouldKeepAlive = false;
    connection.requests += 1;
    connection.answers.add(res);
    res.once('close', () => {
      connection.answers.delete(res);
      endIfIdle(socket, connection);
    });
  });

  return {
    drain: (graceMs, unanswered) => {
      draining = true;
      for (const [socket, connection] of connections) {
        for (const res of connection.answers) if (!res.headersSent) res.shouldKeepAlive = false;
        endIfIdle(socket, connection);
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const [socket, connection] of connections) {
            const waiting = [...connection.answers].some((res) => !res.headersSent);
            // Written on the socket itself: the application's own answer, should it come, goes
            // nowhere (Node drops writes to a destroyed socket).
            if (waiting && unanswered !== undefined) socket.end(unanswered, () => socket.destroy());
            else socket.destroy();
          }
          resolve();
        }, graceMs);
        emptied = () => {
          clearTimeout(timer);
          resolve();
        };
        if (connections.size === 0) emptied();
      });
    },
  };
}

/**
 * A whole HTTP answer, as bytes to write on a socket no server answers on any more: the error
 * body of the catalogue, when to retry, and `Connection: close`.
 */
export function rawErrorAnswer(code: ErrorCode, message: string, retryAfterS: number): string {
  const { status, retryable } = ERROR_CODES[code];
  const body = JSON.stringify({ error: { code, message, retryable } });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    `retry-after: ${retryAfterS}\r\n` +
    'connection: close\r\n\r\n' +
    body
  );
}
