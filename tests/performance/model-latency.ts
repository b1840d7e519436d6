import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback proxy in front of the mock model server that holds each chat completion for
 * `latencyMs` before forwarding it: a model that answers every call after 200 ms. The mock server
 * (`atolye mock-llm`) has no latency setting of its own yet; with one, this proxy goes.
 * It also counts the calls and the time they took, the model's own share of a run.
 */
export interface SlowModel {
  /** The base URL for an OpenAI client, ending in `/v1`. */
  url: string;
  /** Held before each chat completion is forwarded; change it between runs. */
  latencyMs: number;
  /** Chat completions answered, and their time from arrival to the last byte, since `resetCounts`. */
  calls: number;
  modelMs: number;
  resetCounts(): void;
  close(): Promise<void>;
}

const isChat = (url: string | undefined): boolean =>
  /\/chat\/completions\/?(\?.*)?$/.test(url ?? '');

/** Starts the proxy on an ephemeral loopback port; `upstream` is the mock's base URL (…/v1). */
export async function startSlowModel(upstream: string, latencyMs = 0): Promise<SlowModel> {
  const target = new URL(upstream);
  const base = target.pathname.replace(/\/$/, '');
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const arrived = performance.now();
    const chat = req.method === 'POST' && isChat(req.url);
    const forward = (): void => {
      const upstreamRequest = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: req.method,
          // The client's path is relative to our /v1, as it is to the mock's.
          path: `${base}${(req.url ?? '/').replace(/^\/v1/, '')}`,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.once('end', () => {
            if (!chat) return;
            model.calls += 1;
            model.modelMs += performance.now() - arrived;
          });
        },
      );
      upstreamRequest.once('error', () => res.destroy());
      req.pipe(upstreamRequest);
    };
    if (chat && model.latencyMs > 0) {
      // Paused until forwarded: the body waits in the socket, as it would at a slow model.
      req.pause();
      setTimeout(forward, model.latencyMs);
    } else forward();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const model: SlowModel = {
    url: `http://127.0.0.1:${port}/v1`,
    latencyMs,
    calls: 0,
    modelMs: 0,
    resetCounts() {
      model.calls = 0;
      model.modelMs = 0;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
  return model;
}
