import { randomUUID } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGateway,
  FunctionPool,
  HostMetrics,
  type HttpError,
  IdempotencyCache,
  Registry,
  silentLogger,
  type Gateway,
} from '../../../src/runtime/host/index.js';
import { createInvokeRoute, type Reply } from '../../../src/runtime/host/invoke-route.js';
import { createInvoker } from '../../../src/runtime/invoke.js';
import {
  ReplayGuard,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signatureHeaders,
} from '../../../src/runtime/signing.js';
import { signedCall } from '../../helpers/signed-call.js';
import { tempDir } from '../../helpers/tmp.js';
import { bundleFixtures, poolSpec, STAMP } from '../runtime/host/harness.js';

/**
 * A signed request buys one execution: the same signed bytes sent again are refused, whoever
 * sends them, while an honest retry (re-signed, same idempotency key) still gets its reply.
 * A real host on port 0 serves the real echo function, whose counter shows how often it ran.
 */

const SECRET = 'host-replay-test-secret';
const tmp = tempDir('atolye-host-replay-');
let registry: Registry;
let gateway: Gateway;
let url: string;

interface EchoReply {
  output: { message: string; invocations: number };
}
interface ErrorReply {
  error: { code: string; message: string; retryable: boolean };
}

/** A request as it went over the wire once, ready to be sent again byte for byte. */
interface Captured {
  path: string;
  headers: Record<string, string>;
  body: string;
}

function capture(name: string, body: unknown, headers: Record<string, string> = {}): Captured {
  const path = `/fn/${name}`;
  const text = JSON.stringify(body);
  return {
    path,
    body: text,
    headers: {
      'content-type': 'application/json',
      ...signatureHeaders(SECRET, { method: 'POST', path, body: text }),
      ...headers,
    },
  };
}

async function send(
  captured: Captured,
  headers: Record<string, string | undefined> = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const merged = Object.fromEntries(
    Object.entries({ ...captured.headers, ...headers }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const response = await fetch(`${url}${captured.path}`, {
    method: 'POST',
    headers: merged,
    body: captured.body,
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** How often echo's one worker has run, counting this call. */
async function ran(): Promise<number> {
  const reply = await signedCall(
    url,
    'echo',
    { input: { message: `count-${randomUUID()}` } },
    { secret: SECRET },
  );
  if (reply.status !== 200) throw new Error(`count call replied ${reply.status}`);
  return (reply.body as EchoReply).output.invocations;
}

const errorOf = (reply: { body: unknown }) => (reply.body as ErrorReply).error;

beforeAll(async () => {
  const bundles = await bundleFixtures(['echo', 'sleepy'], tmp.dir);
  registry = new Registry();
  const deps = { stamp: STAMP, stopGraceMs: 500 };
  // One worker each, so echo's module counter counts every run.
  registry.swap(
    'echo',
    new FunctionPool(poolSpec('echo', bundles.echo, { concurrency: 4, maxWorkers: 1 }), deps),
  );
  registry.swap(
    'sleepy',
    new FunctionPool(
      poolSpec('sleepy', bundles.sleepy, { concurrency: 1, maxWorkers: 1, queueSize: 0 }),
      deps,
    ),
  );
  gateway = createGateway({
    config: { security: { signingSecret: SECRET, adminToken: '' } },
    registry,
  });
  ({ url } = await gateway.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  await gateway.close();
  tmp.cleanup();
});

test('the same signed request sent again is refused with 401 SIGNATURE_REPLAYED; the handler ran once', async () => {
  const before = await ran();
  const captured = capture('echo', { input: { message: 'transfer' } });

  const first = await send(captured);
  expect(first.status).toBe(200);
  expect((first.body as EchoReply).output.invocations).toBe(before + 1);

  const replayed = await send(captured);
  expect(replayed.status).toBe(401);
  expect(errorOf(replayed)).toMatchObject({ code: 'SIGNATURE_REPLAYED', retryable: false });
  expect(errorOf(replayed).message).toContain('sign every request');

  expect(await ran()).toBe(before + 2);
});

test('identical requests sent at once run once: one 200, the other refused', async () => {
  const before = await ran();
  const captured = capture('echo', { input: { message: 'twice at once', delayMs: 50 } });
  const replies = await Promise.all([send(captured), send(captured), send(captured)]);
  expect(replies.map((reply) => reply.status).sort()).toEqual([200, 401, 401]);
  expect(await ran()).toBe(before + 2);
});

test('a captured keyed request cannot run again under another idempotency key or none', async () => {
  const before = await ran();
  const key = `key-${randomUUID()}`;
  const captured = capture('echo', { input: { message: 'keyed' } }, { 'idempotency-key': key });
  expect((await send(captured)).status).toBe(200);

  // The key is not signed, so a replayer can change it; the signature still buys one run.
  const otherKey = await send(captured, { 'idempotency-key': `key-${randomUUID()}` });
  expect(otherKey.status).toBe(401);
  expect(errorOf(otherKey).code).toBe('SIGNATURE_REPLAYED');
  const noKey = await send(captured, { 'idempotency-key': undefined });
  expect(noKey.status).toBe(401);

  // The same key answers from the cache: the stored reply, nothing runs.
  const sameKey = await send(captured);
  expect(sameKey.status).toBe(200);
  expect(sameKey.headers.get('idempotent-replayed')).toBe('true');
  expect((sameKey.body as EchoReply).output.invocations).toBe(before + 1);

  expect(await ran()).toBe(before + 2);
});

test('a keyed request whose first run failed (and was not stored) is refused when replayed', async () => {
  const before = await ran();
  const captured = capture(
    'echo',
    { input: { message: 'flaky', fail: 'retryable' } },
    { 'idempotency-key': `key-${randomUUID()}` },
  );
  const first = await send(captured);
  expect(first.status).toBe(500);
  expect(errorOf(first)).toMatchObject({ code: 'ECHO_RETRYABLE', retryable: true });

  const replayed = await send(captured);
  expect(replayed.status).toBe(401);
  expect(errorOf(replayed).code).toBe('SIGNATURE_REPLAYED');
  expect(await ran()).toBe(before + 2);
});

test('a request that never ran (refused before the pool) does not spend its signature', async () => {
  const before = await ran();
  const captured = capture('echo', { input: { message: 'x' }, meta: { colour: 'red' } });
  const first = await send(captured);
  expect(first.status).toBe(400);
  expect((await send(captured)).status).toBe(400);
  expect(await ran()).toBe(before + 1);
});

/** A loopback proxy in front of the host that loses the host's first reply per idempotency key. */
interface Attempt {
  key: string | undefined;
  signature: string | undefined;
  timestamp: string | undefined;
  hostStatus: number;
  hostReplayed: string | undefined;
}
async function lossyProxy(target: string): Promise<{
  server: Server;
  url: string;
  attempts: Attempt[];
}> {
  const attempts: Attempt[] = [];
  const seen = new Set<string>();
  const header = (headers: IncomingHttpHeaders, name: string) => {
    const value = headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const forward = request(`${target}${req.url ?? '/'}`, {
        method: req.method,
        headers: req.headers,
      });
      forward.on('response', (reply) => {
        const body: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => body.push(chunk));
        reply.on('end', () => {
          const key = header(req.headers, 'idempotency-key');
          attempts.push({
            key,
            signature: header(req.headers, SIGNATURE_HEADER),
            timestamp: header(req.headers, TIMESTAMP_HEADER),
            hostStatus: reply.statusCode ?? 0,
            hostReplayed: header(reply.headers, 'idempotent-replayed'),
          });
          if (key !== undefined && !seen.has(key)) {
            // The host ran the call; the caller never hears of it.
            seen.add(key);
            res.socket?.destroy();
            return;
          }
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          res.end(Buffer.concat(body));
        });
      });
      forward.on('error', () => res.socket?.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, attempts };
}

test('an honest retry under the same key, after the reply was lost, gets the stored reply; the handler ran once', async () => {
  const proxy = await lossyProxy(url);
  try {
    const before = await ran();
    // The invoke client makes one attempt; the caller's retry layer (the graph's step retry
    // policy) repeats the call under the same idempotency key, as here.
    const invoke = createInvoker({ baseUrl: proxy.url, secret: SECRET });
    const call = { idempotencyKey: 'lost-reply-key', meta: { invocationId: 'inv-lost' } };
    const lost = await invoke('echo', { message: 'lost reply' }, call).catch((e: unknown) => e);
    expect(lost).toMatchObject({ code: 'INVOKE_NETWORK', retryable: true });
    const result = await invoke<EchoReply['output']>(
      'echo',
      { message: 'lost reply' },
      { ...call, meta: { ...call.meta, attempt: 2 } },
    );

    expect(result.output).toMatchObject({ message: 'lost reply', invocations: before + 1 });
    const [first, second] = proxy.attempts;
    expect(proxy.attempts).toHaveLength(2);
    expect(first).toMatchObject({ hostStatus: 200, hostReplayed: undefined });
    expect(second).toMatchObject({ hostStatus: 200, hostReplayed: 'true', key: first?.key });
    // Each call is signed anew, so the retry is not taken for a replay.
    expect(second?.signature).not.toBe(first?.signature);
    expect(Number(second?.timestamp)).toBeGreaterThanOrEqual(Number(first?.timestamp));
    expect(await ran()).toBe(before + 2);
  } finally {
    proxy.server.closeAllConnections();
    await new Promise((resolve) => proxy.server.close(resolve));
  }
});

test('an honest retry after a retryable refusal (429) runs: the host spent the first signature, not the call', async () => {
  const busy = signedCall(url, 'sleepy', { input: { ms: 150 } }, { secret: SECRET });
  await new Promise((resolve) => setTimeout(resolve, 30));
  const invoke = createInvoker({ baseUrl: url, secret: SECRET });
  const call = { idempotencyKey: 'busy-key' };
  const refused = await invoke('sleepy', { ms: 0 }, call).catch((e: unknown) => e);
  expect(refused).toMatchObject({ status: 429, retryable: true });
  expect((await busy).status).toBe(200);
  const result = await invoke<{ invocations: number }>('sleepy', { ms: 0 }, call);
  expect(result.output.invocations).toBe(2);
});

test('a full replay guard refuses new calls with 503 and Retry-After rather than forgetting signatures', async () => {
  // The gateway's route with a guard of two, behind a bare server that renders refusals.
  const route = createInvokeRoute({
    signingSecret: SECRET,
    registry,
    metrics: new HostMetrics({ pools: () => registry.list() }),
    logger: silentLogger,
    idempotency: new IdempotencyCache<Reply>(),
    replay: new ReplayGuard({ maxEntries: 2 }),
    bodyLimitBytes: 64 * 1024,
  });
  const server = createServer((req, res) => {
    route(req, res, req.url ?? '/', randomUUID()).catch((error: unknown) => {
      const refusal = error as HttpError;
      res.writeHead(refusal.status, { 'content-type': 'application/json', ...refusal.headers });
      res.end(JSON.stringify({ error: refusal.toJSON() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const small = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const echo = (message: string) =>
      signedCall(small, 'echo', { input: { message } }, { secret: SECRET });
    expect((await echo('one')).status).toBe(200);
    expect((await echo('two')).status).toBe(200);
    const full = await echo('three');
    expect(full.status).toBe(503);
    expect(errorOf(full)).toMatchObject({ code: 'REPLAY_GUARD_FULL', retryable: true });
    // The oldest signature leaves the window in about five minutes.
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(290);
    expect(Number(full.headers.get('retry-after'))).toBeLessThanOrEqual(300);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
