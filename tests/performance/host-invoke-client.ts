/**
 * The load generator of host-invoke.bench.ts, run as its own process (as the orchestrator is), so
 * the host's event loop carries only the host. Commands arrive over IPC; samples go back.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { signatureHeaders } from '../../src/runtime/signing.js';

export interface ClientCommand {
  port: number;
  sign: boolean;
  secret: string;
  /** Sequential calls to time, or, with `seconds`, callers running in parallel. */
  calls?: number;
  seconds?: number;
  concurrency?: number;
}

export interface ClientReply {
  samples?: number[];
  completed?: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(command: ClientCommand): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({
      input: { message: 'hello' },
      meta: { invocationId: randomUUID(), attempt: 1 },
    });
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    if (command.sign)
      Object.assign(
        headers,
        signatureHeaders(command.secret, { method: 'POST', path: '/fn/echo', body }),
      );
    const request = http.request(
      { agent, host: '127.0.0.1', port: command.port, method: 'POST', path: '/fn/echo', headers },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode === 200
            ? resolve()
            : reject(new Error(`status ${response.statusCode}`)),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function run(command: ClientCommand): Promise<ClientReply> {
  if (command.seconds !== undefined) {
    const until = performance.now() + command.seconds * 1_000;
    let completed = 0;
    await Promise.all(
      Array.from({ length: command.concurrency ?? 16 }, async () => {
        while (performance.now() < until) {
          await post(command);
          completed += 1;
        }
      }),
    );
    return { completed };
  }
  const samples: number[] = [];
  for (let i = 0; i < (command.calls ?? 1_000); i += 1) {
    const started = performance.now();
    await post(command);
    samples.push(performance.now() - started);
  }
  return { samples };
}

process.on('message', (command: ClientCommand) => {
  run(command).then(
    (reply) => process.send?.(reply),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
