import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import type { AtolyeConfig } from '../../../src/config/index.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { startOrchestrator, type RunningOrchestrator } from '../../../src/orchestrator/service.js';
import { hostConfig } from '../deploy/helpers.js';

/** A plain HTTP server on loopback that records what it was sent; `handle` picks each answer. */
export interface Receiver {
  url: string;
  port: number;
  received: { path: string; headers: IncomingMessage['headers']; body: string }[];
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

export async function startReceiver(
  handle: Receiver['handle'] = (_req, res) => {
    res.writeHead(204);
    res.end();
  },
): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    port: 0,
    received: [],
    handle,
    close: () => closeServer(server),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      receiver.received.push({ path: req.url ?? '', headers: req.headers, body });
      receiver.handle(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}`;
  return receiver;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/**
 * A stand-in worker host: healthy, and every step call fails at once (after `stepDelayMs`), so a
 * run ends in error without any real function.
 */
export async function startStandInHost(stepDelayMs = 0): Promise<Receiver> {
  return startReceiver((req, res) => {
    if (req.url === '/healthz' || req.url === '/readyz') {
      res.writeHead(200, { 'content-type': 'application/health+json' });
      res.end('{"status":"pass"}');
      return;
    }
    setTimeout(() => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'BROKEN', message: 'scripted failure' } }));
    }, stepDelayMs);
  });
}

/** The real orchestrator on port 0 in front of `hostUrl`, with its own data, logs and key. */
export interface SecurityApi {
  orchestrator: RunningOrchestrator;
  config: AtolyeConfig;
  url: string;
  port: number;
  key: string;
  workspaceRoot: string;
  logDir: string;
  stop(): Promise<void>;
}

export async function startApi(
  root: string,
  hostUrl: string,
  overrides: Record<string, string> = {},
): Promise<SecurityApi> {
  const workspaceRoot = path.join(root, 'workspaces');
  const logDir = path.join(root, 'logs');
  const config = hostConfig(path.join(root, 'data'), logDir, {
    'workspace.root': workspaceRoot,
    ...overrides,
  });
  const logging: Logging = createLogging(config, { service: 'orchestrator' });
  const orchestrator = await startOrchestrator(config, {
    port: 0,
    hostUrl,
    logging,
    retry: { initialInterval: 10, jitter: false },
  });
  const { key } = await orchestrator.keys.create('security-tests');
  return {
    orchestrator,
    config,
    url: orchestrator.url,
    port: Number(new URL(orchestrator.url).port),
    key,
    workspaceRoot,
    logDir,
    stop: async () => {
      await orchestrator.close();
      await logging.close();
    },
  };
}

/** What a raw TCP client saw before the server closed the connection. */
export interface Closed {
  afterMs: number;
  text: string;
}

/**
 * Opens a raw TCP connection to `url`, lets `drive` write to it, and resolves when the server
 * closes it (or rejects after `giveUpMs`, ending the socket).
 */
export function rawConnection(
  url: string,
  drive: (socket: Socket) => void,
  giveUpMs = 10_000,
): Promise<Closed> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let text = '';
    const socket = connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ afterMs: Date.now() - started, text });
    });
    socket.on('connect', () => drive(socket));
  });
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
export function trickle(socket: Socket, text: string, everyMs: number): void {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || socket.writableEnded) {
      clearInterval(timer);
      return;
    }
    socket.write(text[index % text.length] ?? ' ');
    index += 1;
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}
