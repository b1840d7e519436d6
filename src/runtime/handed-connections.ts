import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { AtolyeError } from '../errors.js';

/**
 * Connections handed over IPC: the worker host listens on a service's address itself
 * (host/connection-front.ts) and passes each accepted connection to the service's current
 * process, so that a restart of the service holds its clients instead of refusing them. This is
 * the service's side of it and the protocol both sides speak.
 */

/** Set by the host on a process it hands connections to: the port the host listens on for it. */
export const HANDED_PORT_ENV = 'ATOLYE_HANDED_PORT';

/** Host → service, with the socket as the message's handle. */
export interface HandedConnection {
  atolye: 'connection';
  id: number;
}

/**
 * Service → host: `ready` once it serves (the held connections follow); `took` once it serves
 * connection `id` (the host closes its copy); `declined` when it is stopping (the host holds the
 * connection for the next process).
 */
export type ServiceReply =
  { atolye: 'ready' } | { atolye: 'took'; id: number } | { atolye: 'declined'; id: number };

export function isHandedConnection(message: unknown): message is HandedConnection {
  const candidate = message as Partial<HandedConnection> | null;
  return candidate?.atolye === 'connection' && typeof candidate.id === 'number';
}

export function isServiceReply(message: unknown): message is ServiceReply {
  const kind = (message as { atolye?: unknown } | null)?.atolye;
  return kind === 'ready' || kind === 'took' || kind === 'declined';
}

/**
 * The port the host hands connections for, when this process was started to take them; undefined
 * when it should listen itself. A variable set by hand, or without the IPC channel the host
 * opens, is refused with what to do.
 */
export function handedPort(env: NodeJS.ProcessEnv): number | undefined {
  const value = env[HANDED_PORT_ENV];
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new AtolyeError(
      'API_LISTEN_FAILED',
      `${HANDED_PORT_ENV} is "${value}", not a port: the worker host sets it for the orchestrator it runs; unset it to listen on api.port`,
    );
  }
  if (typeof process.send !== 'function') {
    throw new AtolyeError(
      'API_LISTEN_FAILED',
      `${HANDED_PORT_ENV} is set but this process has no IPC channel to the worker host: unset it to listen on api.port`,
    );
  }
  return port;
}

export interface HandedConnections {
  /** Declines every connection from now on: the host keeps them for the next process. */
  stopTaking(): void;
}

/**
 * Serves on `server` the connections the host hands over this process's IPC channel, and tells
 * the host it is ready for them.
 */
export function takeHandedConnections(server: Server): HandedConnections {
  if (typeof process.send !== 'function') {
    throw new AtolyeError('API_LISTEN_FAILED', 'no IPC channel to the worker host');
  }
  // A reply to a host that is gone is dropped: its channel's 'disconnect' stops this process.
  const send = (reply: ServiceReply): void =>
    void process.send?.(reply, undefined, undefined, () => undefined);
  // Node sets up a server's connection tracking (requestTimeout, headersTimeout, closing idle
  // connections) on 'listening'; this server never listens, its connections come from the host.
  server.emit('listening');
  let taking = true;
  const onMessage = (message: unknown, socket?: Socket): void => {
    if (!isHandedConnection(message)) return;
    // The socket may have closed on its way here.
    if (!socket) {
      send({ atolye: 'took', id: message.id });
      return;
    }
    if (!taking) {
      // Nothing was read from it yet (reading starts on the next turn of the event loop): the
      // host's copy carries the whole request to the next process.
      socket.destroy();
      send({ atolye: 'declined', id: message.id });
      return;
    }
    server.emit('connection', socket);
    send({ atolye: 'took', id: message.id });
  };
  process.on('message', onMessage);
  send({ atolye: 'ready' });
  return {
    stopTaking: () => {
      taking = false;
    },
  };
}
