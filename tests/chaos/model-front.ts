import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ModelRouter } from '../load/model-router.js';
import type { BenchContext } from '../performance/harness.js';
import { SIMPLE_SCRIPT, startMockProcess } from '../performance/stack.js';

/**
 * How the model server misbehaves: `refused` is the server down (nothing listens on its port),
 * `slow` holds a reply 3–8 s, `error500` answers 500 as an overloaded server does, `truncated`
 * sends the start of the reply and cuts the connection.
 */
export const MODEL_FAULTS = ['slow', 'error500', 'truncated', 'refused'] as const;
export type ModelFaultKind = (typeof MODEL_FAULTS)[number];

/**
 * The model of the chaos rounds, in the load's router's shape (driveRuns takes it): one
 * conversation-driven model for every run, with faults on demand. Runs need no slot: `marker`
 * is empty and `reset` does nothing.
 */
export interface ModelFront extends ModelRouter {
  /** Puts `kind` in force (undefined: none); `refused` closes the port until the next change. */
  setFault(kind: ModelFaultKind | undefined): Promise<void>;
  /** Chat completions answered, by what was done to them (`forwarded`, `slow`, …). */
  faultCounts(): Record<string, number>;
}

/** Share of chat completions that `slow`, `error500` and `truncated` hit while in force. */
export const HIT_RATE = 0.3;
const SLOW_MS = { min: 3_000, max: 8_000 };

/** The one-file task's three model replies, by what the request holds (see turnOf). */
const TURNS = ['plan', 'act', 'finish'] as const;
type Turn = (typeof TURNS)[number];

/**
 * Which reply of the one-file task a chat completion asks for, from the conversation itself: no
 * tools bound is the plan step; tools bound and no tool result yet is the first act (write and run
 * hello.py); a tool result in the messages is the act after it (finish).
 */
export function turnOf(body: string): Turn {
  try {
    const request = JSON.parse(body) as { tools?: unknown[]; messages?: { role?: string }[] };
    if (!request.tools || request.tools.length === 0) return 'plan';
    return request.messages?.some((message) => message.role === 'tool') ? 'finish' : 'act';
  } catch {
    return 'plan';
  }
}

/**
 * The model of the chaos rounds: three `atolye mock-llm` servers, each always answering one of the
 * one-file task's replies (the load's script, each turn as the fallback of an empty script), and a
 * loopback front that sends each chat completion to the one its conversation asks for, after the
 * latency, or misbehaves instead. Not the load's router: it replays one script in sequence per
 * slot, so a step retried after its model call (what the faults cause) would get the next turn.
 * Not tests/helpers/model-faults.ts either: that answers scripted statuses in order; a server that
 * is down, slow or cuts its replies needs the socket itself.
 */
export async function startModelFront(
  ctx: BenchContext,
  options: { hitRate?: number } = {},
): Promise<ModelFront> {
  const hitRate = options.hitRate ?? HIT_RATE;
  const dir = ctx.dir('model');
  const mocks: Awaited<ReturnType<typeof startMockProcess>>[] = [];
  const closeMocks = (): Promise<unknown> => Promise.all(mocks.map((mock) => mock.close()));
  try {
    for (const [index, turn] of TURNS.entries()) {
      const file = path.join(dir, `${turn}.script.json`);
      const script = {
        model: SIMPLE_SCRIPT.model,
        turns: [],
        fallback: SIMPLE_SCRIPT.turns[index],
      };
      writeFileSync(file, `${JSON.stringify(script, null, 2)}\n`);
      mocks.push(await startMockProcess(ctx, file));
    }
  } catch (error) {
    await closeMocks();
    throw error;
  }
  const upstreams = new Map(TURNS.map((turn, index) => [turn, new URL(mocks[index]?.url ?? '')]));
  const agent = new http.Agent({ keepAlive: true });
  const counts: Record<string, number> = {};
  const count = (what: string): void => void (counts[what] = (counts[what] ?? 0) + 1);
  let fault: ModelFaultKind | undefined;
  let calls = 0;

  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    cut: boolean,
  ): void => {
    const upstream = upstreams.get(turnOf(body.toString('utf8'))) as URL;
    const base = upstream.pathname.replace(/\/$/, '');
    const request = http.request(
      {
        agent,
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `${base}${(req.url ?? '/').replace(/^\/v1/, '')}`,
        headers: { ...req.headers, host: upstream.host, 'content-length': body.length },
      },
      (answer) => {
        if (!cut) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        // The whole reply is announced, half of it sent, then the connection is gone.
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => {
          const whole = Buffer.concat(chunks);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.write(whole.subarray(0, Math.floor(whole.length / 2)), () => res.destroy());
        });
      },
    );
    request.once('error', () => res.destroy());
    request.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      const body = Buffer.concat(chunks);
      const hit = fault !== undefined && Math.random() < hitRate ? fault : undefined;
      count(hit ?? 'forwarded');
      calls += 1;
      const { min, max } = front.latencyMs;
      const latency = min + Math.random() * (max - min);
      if (hit === 'error500') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { message: 'chaos: the model server failed', type: 'server_error' },
          }),
        );
      } else if (hit === 'slow') {
        const wait = SLOW_MS.min + Math.random() * (SLOW_MS.max - SLOW_MS.min);
        setTimeout(() => forward(req, res, body, false), latency + wait);
      } else {
        setTimeout(() => forward(req, res, body, hit === 'truncated'), latency);
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const unlisten = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const front: ModelFront = {
    url: `http://127.0.0.1:${port}/v1`,
    latencyMs: { min: 0, max: 0 },
    marker: () => '',
    reset: async () => undefined,
    counts: () => ({ calls, unrouted: 0 }),
    async setFault(kind) {
      if (kind === fault) return;
      const wasRefused = fault === 'refused';
      fault = kind;
      if (kind === 'refused') await unlisten();
      else if (wasRefused) await listen(port);
    },
    faultCounts: () => ({ ...counts }),
    async close() {
      if (server.listening) await unlisten();
      agent.destroy();
      await closeMocks();
    },
  };
  return front;
}
