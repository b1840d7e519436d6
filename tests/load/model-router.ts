import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BenchContext } from '../performance/harness.js';
import { SIMPLE_SCRIPT, startMockProcess } from '../performance/stack.js';

/**
 * The mock model for runs in parallel. `atolye mock-llm` replays one script in one sequence per
 * server, so runs in flight at once would take each other's turns: each slot (a run at a time)
 * gets a mock server of its own, and this loopback router sends each chat completion to the mock
 * of the slot named in the task (`marker(slot)`, which every model request quotes). It holds each
 * completion for the current latency first, a model that takes that long to answer.
 */
export interface ModelRouter {
  /** The base URL for the steps' model client, ending in `/v1`. */
  url: string;
  /** Each chat completion waits uniformly between min and max ms; change it between rounds. */
  latencyMs: { min: number; max: number };
  /** The text a slot's task carries so its model calls reach its mock. */
  marker(slot: number): string;
  /** Starts a slot's script over (before each of its runs). */
  reset(slot: number): Promise<void>;
  /** Chat completions forwarded, and those naming no slot (answered 400). */
  counts(): { calls: number; unrouted: number };
  close(): Promise<void>;
}

/** Mock servers started at once: each is a Node start, and the machine may have two cores. */
const STARTING_AT_ONCE = 4;

export async function startModelRouter(ctx: BenchContext, slots: number): Promise<ModelRouter> {
  const dir = ctx.dir('model');
  const scriptFile = path.join(dir, 'simple.script.json');
  writeFileSync(scriptFile, `${JSON.stringify(SIMPLE_SCRIPT, null, 2)}\n`);
  const mocks: Awaited<ReturnType<typeof startMockProcess>>[] = [];
  const closeMocks = (): Promise<unknown> => Promise.all(mocks.map((mock) => mock.close()));
  try {
    for (let first = 0; first < slots; first += STARTING_AT_ONCE) {
      const group = Math.min(STARTING_AT_ONCE, slots - first);
      mocks.push(
        ...(await Promise.all(
          Array.from({ length: group }, () => startMockProcess(ctx, scriptFile)),
        )),
      );
    }
  } catch (error) {
    await closeMocks();
    throw error;
  }
  const upstreams = mocks.map((mock) => new URL(mock.url));
  const agent = new http.Agent({ keepAlive: true });
  let calls = 0;
  let unrouted = 0;

  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    target: URL,
  ): void => {
    const base = target.pathname.replace(/\/$/, '');
    const upstream = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: req.method,
        // The client's path is relative to our /v1, as it is to the mock's.
        path: `${base}${(req.url ?? '/').replace(/^\/v1/, '')}`,
        headers: { ...req.headers, host: target.host, 'content-length': body.length },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once('error', () => res.destroy());
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      const body = Buffer.concat(chunks);
      const chat = req.method === 'POST' && /\/chat\/completions\/?(\?.*)?$/.test(req.url ?? '');
      if (!chat) return forward(req, res, body, upstreams[0] as URL);
      const slot = Number(/load slot (\d+)/.exec(body.toString('utf8'))?.[1]);
      const target = upstreams[slot];
      if (!target) {
        unrouted += 1;
        res.writeHead(400, { 'content-type': 'application/json', 'x-should-retry': 'false' });
        res.end(JSON.stringify({ error: { message: 'no "load slot N" in the request' } }));
        return;
      }
      calls += 1;
      const { min, max } = router.latencyMs;
      const wait = min + Math.random() * (max - min);
      if (wait > 0) setTimeout(() => forward(req, res, body, target), wait);
      else forward(req, res, body, target);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const router: ModelRouter = {
    url: `http://127.0.0.1:${port}/v1`,
    latencyMs: { min: 0, max: 0 },
    marker: (slot) => `(load slot ${slot})`,
    async reset(slot) {
      await (mocks[slot] as (typeof mocks)[number]).reset();
    },
    counts: () => ({ calls, unrouted }),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
      await closeMocks();
    },
  };
  return router;
}
