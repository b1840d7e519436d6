import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logging } from '../../../../src/logging/index.js';
import {
  createGateway,
  FunctionPool,
  Registry,
  type Gateway,
  type HostLogger,
} from '../../../../src/runtime/host/index.js';
import { signatureHeaders } from '../../../../src/runtime/signing.js';
import { signedCall, type CallReply } from '../../../helpers/signed-call.js';
import { tempDir } from '../../../helpers/tmp.js';
import { bundleFixtures, fileLogging, poolSpec, readChannel, STAMP } from './harness.js';
import { eventually } from '../../../helpers/eventually.js';
import { isAlive } from '../../../helpers/processes.js';

/** The gateway over real sockets, real workers and the real channel files. */

const tmp = tempDir('atolye-gateway-');
const logDir = path.join(tmp.dir, 'logs');
let bundles: Record<'echo' | 'sleepy' | 'broken', string>;
let logging: Logging;
let logger: HostLogger;
let secret: string;
let registry: Registry;
let gateway: Gateway;
let url: string;

interface EchoReply {
  output: { message: string; pid: number; invocations: number; envValue: string | null };
  meta: { durationMs: number; coldStart: boolean; worker: number; version: string };
}
interface ErrorReply {
  error: { code: string; message: string; retryable: boolean };
}

const call = (
  name: string,
  body: unknown,
  options: Parameters<typeof signedCall>[3] = { secret },
): Promise<CallReply> => signedCall(url, name, body, { ...options, secret: options.secret });
const echo = async (
  input: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<EchoReply> => {
  // A fresh invocation id per call, as the invoke client sends: the same signed bytes run once.
  const reply = await call(
    'echo',
    { input, meta: { invocationId: randomUUID() } },
    { secret, headers },
  );
  if (reply.status !== 200)
    throw new Error(`echo replied ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body as EchoReply;
};
const errorOf = (reply: CallReply) => (reply.body as ErrorReply).error;

beforeAll(async () => {
  bundles = await bundleFixtures(['echo', 'sleepy', 'broken'], tmp.dir);
  ({ logging, logger } = fileLogging(logDir));
  const config = { security: { signingSecret: 'gateway-test-secret', adminToken: '' } };
  secret = config.security.signingSecret;
  registry = new Registry();
  const deps = { stamp: STAMP, logger, stopGraceMs: 500 };
  registry.swap(
    'echo',
    new FunctionPool(poolSpec('echo', bundles.echo, { concurrency: 4 }, ['ECHO_SECRET']), deps),
  );
  registry.swap(
    'sleepy',
    new FunctionPool(
      poolSpec('sleepy', bundles.sleepy, {
        concurrency: 1,
        maxWorkers: 1,
        queueSize: 0,
        timeoutMs: 300,
      }),
      deps,
    ),
  );
  gateway = createGateway({ config, registry, logger, bodyLimitBytes: 64 * 1024 });
  ({ url } = await gateway.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  await gateway.close();
  await logging.close();
  tmp.cleanup();
});

test('a signed call gets its output and meta; the request id is echoed back', async () => {
  const reply = await call(
    'echo',
    { input: { message: 'hello' } },
    { secret, headers: { 'x-request-id': 'req-123' } },
  );
  expect(reply.status).toBe(200);
  expect(reply.headers.get('x-request-id')).toBe('req-123');
  const body = reply.body as EchoReply;
  expect(body.output.message).toBe('hello');
  expect(body.meta).toMatchObject({ version: 'echo-v1', worker: body.output.pid });
  expect(typeof body.meta.coldStart).toBe('boolean');
  expect(body.meta.durationMs).toBeGreaterThan(0);
});

test('a request id is generated when the caller sends none', async () => {
  const reply = await call('echo', { input: { message: 'x' } });
  expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

test('bad, missing and stale signatures are refused with 401 naming the problem; the handler does not run', async () => {
  const before = (await echo({ message: 'count' })).output.invocations;
  const body = { input: { message: 'sneaky' } };

  const wrongKey = await call('echo', body, { secret: 'not-the-secret' });
  expect(wrongKey.status).toBe(401);
  expect(errorOf(wrongKey)).toMatchObject({ code: 'SIGNATURE_INVALID', retryable: false });
  expect(errorOf(wrongKey).message).toContain('signature does not match');

  const response = await fetch(`${url}/fn/echo`, { method: 'POST', body: JSON.stringify(body) });
  expect(response.status).toBe(401);
  expect(((await response.json()) as ErrorReply).error.message).toContain(
    'missing x-atolye-timestamp',
  );

  const stale = await call('echo', body, { secret, signedAt: Date.now() - 10 * 60_000 });
  expect(stale.status).toBe(401);
  expect(errorOf(stale).message).toContain('stale signature');

  // Signed for another path: the signature covers the function name.
  const text = JSON.stringify(body);
  const moved = await fetch(`${url}/fn/echo`, {
    method: 'POST',
    headers: signatureHeaders(secret, { method: 'POST', path: '/fn/sleepy', body: text }),
    body: text,
  });
  expect(moved.status).toBe(401);

  expect((await echo({ message: 'count' })).output.invocations).toBe(before + 1);
});

test('a body that is not { input, meta } is a 400 naming each bad field', async () => {
  const notJson = await call('echo', null, { secret, rawBody: '{"input": ' });
  expect(notJson.status).toBe(400);
  expect(errorOf(notJson)).toMatchObject({ code: 'BODY_INVALID_JSON', retryable: false });
  expect(errorOf(notJson).message).toContain('not JSON');

  const wrong = await call('echo', { inputs: {}, meta: { attempt: 0, colour: 'red' } });
  expect(wrong.status).toBe(400);
  expect(errorOf(wrong)).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
  const message = errorOf(wrong).message;
  expect(message).toContain('inputs: unknown field');
  expect(message).toContain('input: required');
  expect(message).toContain('meta.attempt');
  expect(message).toContain('meta.colour: unknown field');
});

test('invalid input is a 400 naming the field, and the handler never runs', async () => {
  const before = (await echo({ message: 'count' })).output.invocations;
  const reply = await call('echo', { input: { message: 42, delayMs: -1 } });
  expect(reply.status).toBe(400);
  expect(errorOf(reply)).toMatchObject({ code: 'INPUT_INVALID', retryable: false });
  expect(errorOf(reply).message).toMatch(/message: .*string/);
  expect(errorOf(reply).message).toContain('delayMs');
  expect((await echo({ message: 'count' })).output.invocations).toBe(before + 1);
});

test('unknown functions, wrong methods, unknown routes and oversized bodies get their own status', async () => {
  const missing = await call('nope', { input: {} });
  expect(missing.status).toBe(404);
  expect(errorOf(missing).code).toBe('FUNCTION_NOT_FOUND');

  const get = await fetch(`${url}/fn/echo`);
  expect(get.status).toBe(405);
  expect(get.headers.get('allow')).toBe('POST');

  expect((await fetch(`${url}/nowhere`)).status).toBe(404);

  const big = await call('echo', { input: { message: 'x'.repeat(100_000) } });
  expect(big.status).toBe(413);
  expect(errorOf(big).code).toBe('BODY_TOO_LARGE');
});

test('a streamed body over the limit is refused with 413 before it is read whole', async () => {
  const { request } = await import('node:http');
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${url}/fn/echo`,
      { method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    const chunk = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 8; i += 1) req.write(chunk);
    req.end();
  });
  expect(status).toBe(413);
});

test('listen() reports a port that is taken', async () => {
  const other = createGateway({
    config: { security: { signingSecret: secret, adminToken: '' } },
    registry: new Registry(),
  });
  await expect(other.listen(Number(new URL(url).port), '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
  await other.close();
});

test('a handler error is a 500 with its code; a retryable one says so', async () => {
  const plain = await call('echo', { input: { message: 'boom', fail: 'error' } });
  expect(plain.status).toBe(500);
  expect(errorOf(plain)).toMatchObject({ code: 'HANDLER_ERROR', retryable: false });
  const retryable = await call('echo', { input: { message: 'boom', fail: 'retryable' } });
  expect(errorOf(retryable)).toMatchObject({ code: 'ECHO_RETRYABLE', retryable: true });
});

test('an idempotency key runs a call once: a repeat gets the stored reply, a concurrent duplicate waits for the first', async () => {
  const key = `key-${randomUUID()}`;
  const headers = { 'idempotency-key': key };
  const input = { input: { message: 'once', delayMs: 150 } };
  const [first, duplicate] = await Promise.all([
    call('echo', input, { secret, headers }),
    call('echo', input, { secret, headers }),
  ]);
  const repeat = await call('echo', input, { secret, headers });

  expect([first.status, duplicate.status, repeat.status]).toEqual([200, 200, 200]);
  expect(duplicate.body).toEqual(first.body);
  expect(repeat.body).toEqual(first.body);
  expect(repeat.headers.get('idempotent-replayed')).toBe('true');
  expect(first.headers.get('idempotent-replayed')).toBeNull();

  // Ran once: the module counter moved by one for three requests.
  const ran = (first.body as EchoReply).output.invocations;
  expect((await echo({ message: 'count' })).output.invocations).toBe(ran + 1);
});

test('a retryable failure is not stored under its idempotency key, so a retry runs again', async () => {
  const headers = { 'idempotency-key': `key-${randomUUID()}` };
  const before = (await echo({ message: 'count' })).output.invocations;
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    // Each attempt is a new request (its own attempt number and signature), as the client sends.
    const reply = await call(
      'echo',
      { input: { message: 'flaky', fail: 'retryable' }, meta: { attempt } },
      { secret, headers },
    );
    expect(reply.status).toBe(500);
    expect(reply.headers.get('idempotent-replayed')).toBeNull();
  }
  expect((await echo({ message: 'count' })).output.invocations).toBe(before + 3);
});

test('a full pool answers 429 with Retry-After; an overrun answers 504', async () => {
  const slow = call('sleepy', { input: { ms: 200 } });
  await new Promise((resolve) => setTimeout(resolve, 30));
  const refused = await call('sleepy', { input: { ms: 0 } });
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(errorOf(refused)).toMatchObject({ code: 'QUEUE_FULL', retryable: true });
  expect((await slow).status).toBe(200);

  const overrun = await call('sleepy', { input: { ms: 2_000 } });
  expect(overrun.status).toBe(504);
  expect(errorOf(overrun)).toMatchObject({ code: 'FUNCTION_TIMEOUT', retryable: true });
});

test('worker logs reach the channel files with the invocation context; the host logs one line per invocation', async () => {
  const invocationId = randomUUID();
  const meta = { invocationId, threadId: 'thread-7', runId: 'run-7', step: 'plan', attempt: 1 };
  const reply = await call(
    'echo',
    { input: { message: 'logged' }, meta },
    { secret, headers: { 'x-request-id': 'req-logs' } },
  );
  expect(reply.status).toBe(200);

  const forwarded = await eventually(
    'the forwarded record in agent.log',
    () => readChannel(logDir, 'agent').find((record) => record.invocationId === invocationId),
    { timeoutMs: 3_000 },
  );
  expect(forwarded).toMatchObject({
    msg: 'echo',
    level: 'info',
    channel: 'agent',
    service: 'echo',
    function: 'echo',
    requestId: 'req-logs',
    threadId: 'thread-7',
    runId: 'run-7',
    step: 'plan',
    length: 6,
    env: 'testing',
  });
  const line = await eventually(
    'the invocation line in system.log',
    () => readChannel(logDir, 'system').find((record) => record.invocationId === invocationId),
    { timeoutMs: 3_000 },
  );
  expect(line).toMatchObject({
    function: 'echo',
    status: 200,
    outcome: 'ok',
    requestId: 'req-logs',
    service: 'host',
  });
  expect(line).toHaveProperty('durationMs');
  expect(line).toHaveProperty('coldStart');
  expect(line).toHaveProperty('worker', (reply.body as EchoReply).meta.worker);
});

test('/healthz is alive; /readyz has a check per function and fails when a bundle crashes at start', async () => {
  const live = await fetch(`${url}/healthz`);
  expect(live.status).toBe(200);
  expect(live.headers.get('content-type')).toBe('application/health+json');
  expect(await live.json()).toEqual({ status: 'pass' });

  const ready = await fetch(`${url}/readyz`);
  expect(ready.status).toBe(200);
  const body = (await ready.json()) as {
    status: string;
    checks: Record<string, { status: string }[]>;
  };
  expect(body.status).toBe('pass');
  expect(body.checks['function:echo']?.[0]?.status).toBe('pass');
  expect(body.checks['function:sleepy']?.[0]?.status).toBe('pass');

  registry.swap(
    'broken',
    new FunctionPool(poolSpec('broken', bundles.broken), { stamp: STAMP, logger }),
  );
  const failed = await call('broken', { input: {} });
  expect(failed.status).toBe(503);
  expect(errorOf(failed).code).toBe('WORKER_START_FAILED');

  const notReady = await fetch(`${url}/readyz`);
  expect(notReady.status).toBe(503);
  const failing = (await notReady.json()) as {
    status: string;
    checks: Record<string, { status: string; output?: string }[]>;
  };
  expect(failing.status).toBe('fail');
  expect(failing.checks['function:broken']?.[0]).toMatchObject({ status: 'fail' });
  expect(failing.checks['function:broken']?.[0]?.output).toContain('broken on purpose');
  expect(failing.checks['function:echo']?.[0]?.status).toBe('pass');

  await registry.remove('broken')?.drain();
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
});

test('/metrics exposes invocations, durations, cold starts, workers and queue depth', async () => {
  await echo({ message: 'measured' });
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const text = await response.text();
  expect(text).toMatch(/atolye_invocations_total\{function="echo",outcome="ok"\} \d+/);
  expect(text).toMatch(/atolye_invocations_total\{function="echo",outcome="invalid"\} \d+/);
  expect(text).toMatch(/atolye_invocations_total\{function="sleepy",outcome="timeout"\} 1/);
  expect(text).toMatch(/atolye_invocations_total\{function="sleepy",outcome="throttled"\} 1/);
  expect(text).toMatch(
    /atolye_invocation_duration_seconds_bucket\{le="0.001",function="echo"\} \d+/,
  );
  expect(text).toMatch(/atolye_invocation_duration_seconds_bucket\{le="120",function="echo"\} \d+/);
  expect(text).toMatch(/atolye_cold_starts_total\{function="echo"\} [1-9]/);
  expect(text).toMatch(/atolye_workers\{function="echo",state="idle"\} 1/);
  expect(text).toMatch(/atolye_queue_depth\{function="echo"\} 0/);
  expect(text).toMatch(/atolye_gateway_rejected_total\{code="SIGNATURE_INVALID"\} [1-9]/);
  expect(text).toContain('process_cpu_user_seconds_total');
});

test('other modules add routes: by prefix and by pattern, with the request id and a JSON reply', async () => {
  gateway.route('GET', '/admin/status', (_req, _res, ctx) =>
    ctx.json(200, { path: ctx.path, verbose: ctx.query.get('verbose') }),
  );
  gateway.route('POST', /^\/admin\/deployments\/([\w-]+)$/, async (_req, _res, ctx) => {
    const body = JSON.parse((await ctx.readBody()).toString()) as unknown;
    ctx.json(201, { id: ctx.params[0], body, requestId: ctx.requestId });
  });
  gateway.route('GET', '/admin/fails', () => {
    throw new Error('route exploded');
  });

  const status = await fetch(`${url}/admin/status/sub?verbose=1`);
  expect(await status.json()).toEqual({ path: '/admin/status/sub', verbose: '1' });
  const created = await fetch(`${url}/admin/deployments/d-1`, {
    method: 'POST',
    headers: { 'x-request-id': 'req-admin' },
    body: '{"a":1}',
  });
  expect(created.status).toBe(201);
  expect(await created.json()).toEqual({ id: 'd-1', body: { a: 1 }, requestId: 'req-admin' });
  expect((await fetch(`${url}/admin/deployments/d-1`)).status).toBe(404);

  const broken = await fetch(`${url}/admin/fails`);
  expect(broken.status).toBe(500);
  expect(((await broken.json()) as ErrorReply).error.code).toBe('INTERNAL');
});

test('close() lets calls in flight finish, stops the workers and the server', async () => {
  const ownRegistry = new Registry();
  ownRegistry.swap(
    'echo',
    new FunctionPool(poolSpec('echo', bundles.echo), { stamp: STAMP, stopGraceMs: 500 }),
  );
  const own = createGateway({
    config: { security: { signingSecret: secret, adminToken: '' } },
    registry: ownRegistry,
  });
  const address = await own.listen(0);
  const warm = await signedCall(address.url, 'echo', { input: { message: 'warm' } }, { secret });
  const pid = (warm.body as EchoReply).meta.worker;

  const inFlight = signedCall(
    address.url,
    'echo',
    { input: { message: 'slow', delayMs: 300 } },
    { secret },
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  await own.close();
  const finished = await inFlight;
  expect(finished.status).toBe(200);
  expect((finished.body as EchoReply).output.message).toBe('slow');
  expect(isAlive(pid)).toBe(false);
  await expect(fetch(`${address.url}/healthz`)).rejects.toThrow();
});
