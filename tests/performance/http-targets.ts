import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { withTimeout, type BenchContext } from './harness.js';
import { exitOf } from '../helpers/processes.js';

export interface HttpTarget {
  port: number;
  /** Child processes serving it, for CPU accounting. */
  pids: number[];
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function closeServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

function readJson(
  req: http.IncomingMessage,
  onBody: (body: { input?: { message?: string } }) => void,
): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () =>
    onBody(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input?: { message?: string } }),
  );
}

/** A plain node:http server that reads the JSON body and answers at once: HTTP plus client, nothing else. */
export async function startPlainServer(): Promise<HttpTarget> {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    readJson(req, (body) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ output: { message: body.input?.message ?? 'hello' } }));
    });
  });
  const port = await listen(server);
  return { port, pids: [], close: () => closeServer(server) };
}

/** The bare prototype's worker: answers each invoke at once, no validation, no logs. */
const BARE_CHILD = `process.on('message', (m) => process.send({ t: 'result', id: m.id, ok: true, output: { message: m.input.message, pid: process.pid }, durationMs: 0 }));
process.send({ t: 'ready' });
`;

/**
 * DESIGN.md's anchor, rebuilt in this run: node:http in front of one forked child over IPC, with no
 * signing, validation, logging, metrics or pool. Its overhead is the floor of any fork+IPC gateway here.
 */
export async function startBarePrototype(ctx: BenchContext): Promise<HttpTarget> {
  const file = path.join(ctx.dir('bare-prototype'), 'bare-child.mjs');
  writeFileSync(file, BARE_CHILD);
  const child: ChildProcess = ctx.fork(file, [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {},
    execArgv: [],
  });
  await withTimeout(
    new Promise((resolve) => child.once('message', resolve)),
    10_000,
    'the bare prototype child did not start',
  );
  const pending = new Map<string, (output: unknown) => void>();
  let sequence = 0;
  child.on('message', (message: { id?: string; output?: unknown }) => {
    if (message.id === undefined) return;
    pending.get(message.id)?.(message.output);
    pending.delete(message.id);
  });
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    readJson(req, (body) => {
      sequence += 1;
      const id = String(sequence);
      pending.set(id, (output) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ output }));
      });
      child.send({ t: 'invoke', id, input: body.input });
    });
  });
  const port = await listen(server);
  return {
    port,
    pids: child.pid === undefined ? [] : [child.pid],
    async close() {
      child.kill();
      await exitOf(child);
      await closeServer(server);
    },
  };
}
