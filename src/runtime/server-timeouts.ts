import type { IncomingMessage, Server, ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { AtolyeError } from '../errors.js';

/**
 * How long an HTTP server waits on a client. Node applies `headersTimeoutMs` and
 * `requestTimeoutMs` only while a request is being received: once its body has arrived, a long
 * reply (an SSE stream, a run that is waited for) is no longer timed by them.
 */
export interface ServerTimeouts {
  /** From the connection's first byte to the end of the request headers (slowloris, idle sockets). */
  headersTimeoutMs: number;
  /** From the first byte to the end of the request body (a body that trickles in). */
  requestTimeoutMs: number;
  /** How long a kept-alive connection may idle between requests. */
  keepAliveTimeoutMs: number;
}

/** The worker host's: its one client is the orchestrator, on the same machine or network. */
export const HOST_SERVER_TIMEOUTS: ServerTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  // Above the 60 s idle timeout of common load balancers, so they close first, never the host.
  keepAliveTimeoutMs: 65_000,
};

/** Requests one kept-alive connection may carry before it is closed (clients reconnect). */
export const MAX_REQUESTS_PER_SOCKET = 1_000;

/** A socket whose peer vanished without a word is found by TCP keep-alive probes from then on. */
const TCP_KEEP_ALIVE_DELAY_MS = 60_000;

/** The node:http server options that enforce `timeouts`; `setting` names them in an error. */
export function serverOptions(timeouts: ServerTimeouts, setting = 'the server'): ServerOptions {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = timeouts;
  if (requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new AtolyeError(
      'CONFIG_INVALID',
      `${setting}: the headers timeout (${headersTimeoutMs} ms) must not exceed the request timeout (${requestTimeoutMs} ms)`,
    );
  }
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    // Node checks the two request timeouts on this period (30 s by default), so a short timeout
    // needs a short period to be kept.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
    keepAlive: true,
    keepAliveInitialDelay: TCP_KEEP_ALIVE_DELAY_MS,
  };
}

/** What `serverOptions` cannot set at creation. */
export function limitServer(server: Server): void {
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
  // Node destroys the socket of a CONNECT nobody listens for: an answer instead, as for any method.
  server.on('connect', answerConnect);
}

function answerConnect(req: IncomingMessage, socket: Duplex): void {
  const body = JSON.stringify({
    error: {
      code: 'METHOD_NOT_ALLOWED',
      message: `${req.method ?? 'CONNECT'} is not taken: this server is no proxy`,
      retryable: false,
    },
  });
  socket.on('error', () => socket.destroy());
  socket.end(
    'HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
