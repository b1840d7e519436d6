import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP server that answers each request with whatever the current test says: for the
 * CLI's error branches (statuses, bodies, dropped streams) a real run API cannot be made to give.
 */
export type CannedHandler = (
  req: IncomingMessage & { body: string; raw: Buffer },
  res: ServerResponse,
) => void | Promise<void>;

export interface CannedApi {
  url: string;
  /** Requests seen, as "METHOD /path?query" with the Last-Event-ID header when sent. */
  requests: string[];
  /** Replaces the handler for requests other than GET /healthz (which always answers 200). */
  handle(handler: CannedHandler): void;
  close(): Promise<void>;
}

export async function startCannedApi(): Promise<CannedApi> {
  let handler: CannedHandler = (_req, res) =>
    json(res, 404, { error: { code: 'NO', message: 'no' } });
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/healthz') return json(res, 200, { status: 'ok' });
      const lastEventId = req.headers['last-event-id'];
      requests.push(
        `${req.method ?? ''} ${req.url ?? ''}${typeof lastEventId === 'string' ? ` [${lastEventId}]` : ''}`,
      );
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      void Promise.resolve(handler(Object.assign(req, { body, raw }), res)).catch(() =>
        res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    handle: (next) => void (handler = next),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function text(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/** Writes SSE events; `end: false` leaves the stream open-ended (closed without an end event). */
export function sse(
  res: ServerResponse,
  events: { event: string; data: unknown; id?: string }[],
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const { event, data, id } of events) {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n${id ? `id: ${id}\n` : ''}\n`);
  }
  res.end();
}

/** A run record as GET /threads/{id}/runs/{run} answers it. */
export function runRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    run_id: 'run-1',
    thread_id: 'thread-1',
    assistant_id: 'atolye',
    created_at: '2026-01-02T03:04:05.000Z',
    updated_at: '2026-01-02T03:04:06.000Z',
    status: 'success',
    metadata: {},
    multitask_strategy: 'reject',
    kwargs: { input: { task: 'a task' }, webhook: null },
    stop_reason: null,
    error: null,
    summary: null,
    usage: { input_tokens: 1, output_tokens: 2, cost_usd: 0 },
    ...overrides,
  };
}
