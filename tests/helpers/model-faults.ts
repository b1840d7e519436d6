import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error reply the proxy sends instead of forwarding one request. */
export interface ModelFault {
  status: number;
  headers?: Record<string, string>;
  /** OpenAI's error body: `{ error: { message, type, code } }`. */
  message?: string;
}

export interface FaultyModelProxy {
  /** The proxy's OpenAI base URL, `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** Where forwarded requests go; null answers 503 `x-should-retry: false`. */
  target: URL | null;
  /**
   * Consumed one per request, in order: a fault is answered instead of the request, `null` lets
   * that request through. Once it is empty, every request goes through.
   */
  faults: (ModelFault | null)[];
  /** Every request the proxy received, faulted or forwarded, in order. */
  requests: { path: string; faulted: boolean; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/**
 * A loopback reverse proxy in front of a mock model server that answers chosen requests with an
 * error instead, as a real model server would (rate limits, outages): the model client under test
 * talks real HTTP to both.
 */
export async function startFaultyModelProxy(target: URL | null = null): Promise<FaultyModelProxy> {
  const proxy: FaultyModelProxy = {
    url: '',
    target,
    faults: [],
    requests: [],
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const fault = proxy.faults.shift() ?? null;
    proxy.requests.push({ path: req.url ?? '', faulted: fault !== null, headers: req.headers });
    if (fault !== null) {
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(
          JSON.stringify({
            error: { message: fault.message ?? `scripted ${fault.status}`, type: 'scripted' },
          }),
        );
      });
      return;
    }
    const to = proxy.target;
    if (to === null) {
      req.resume();
      res.writeHead(503, { 'x-should-retry': 'false' }).end('no model server behind the proxy');
      return;
    }
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
