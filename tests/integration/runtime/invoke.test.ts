import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InvokeError,
  createInvoker,
  type InvokerOptions,
  type RetryEvent,
} from '../../../src/runtime/invoke.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from '../../../src/runtime/signing.js';

/**
 * A real worker-host stand-in on loopback: it verifies every signature with the production
 * `verify`, answers 401 on a bad one, and otherwise plays the script registered for the function.
 * Each test uses its own function name, so scripts and recorded calls never mix.
 */

const SECRET = 'integration-signing-secret';

interface Call {
  name: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: { input: unknown; meta: Record<string, unknown> };
  /** Server clock when the request arrived. */
  at: number;
}

interface Reply {
  status: number;
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}
/** A reply, or a way of not replying: never answer, stop mid-body, or drop the connection. */
type Action = Reply | 'hang' | 'hang-body' | 'destroy';

/** `nth` counts calls for the same idempotency key, from 1. */
type Script = (call: Call, nth: number) => Action;

const ok = (output: unknown): Reply => ({
  status: 200,
  json: { output, meta: { durationMs: 1.5, coldStart: false, worker: 'w-1', version: 'v7' } },
});
const fail = (
  status: number,
  code: string,
  retryable: boolean,
  headers?: Record<string, string>,
): Reply => ({
  status,
  json: { error: { code, message: `${code.toLowerCase()} happened`, retryable } },
  headers,
});

const scripts = new Map<string, Script>();
const calls: Call[] = [];
const perKey = new Map<string, number>();
const callsTo = (name: string): Call[] => calls.filter((call) => call.name === name);

function reply(res: ServerResponse, action: Action): void {
  if (action === 'hang') return;
  if (action === 'destroy') {
    res.socket?.destroy();
    return;
  }
  if (action === 'hang-body') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"output":');
    return;
  }
  const send = (): void => {
    res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
    res.end(action.raw ?? JSON.stringify(action.json));
  };
  if (action.delayMs) setTimeout(send, action.delayMs);
  else send();
}

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = req.url ?? '';
      const verdict = verify(
        SECRET,
        { method: req.method ?? '', path, body: raw },
        req.headers[TIMESTAMP_HEADER] as string | undefined,
        req.headers[SIGNATURE_HEADER] as string | undefined,
      );
      const name = /\/fn\/([^/?]+)$/.exec(path)?.[1] ?? '';
      const call: Call = {
        name,
        path,
        headers: req.headers,
        body: JSON.parse(raw.toString('utf8')),
        at: Date.now(),
      };
      calls.push(call);
      if (!verdict.ok) {
        reply(res, {
          status: 401,
          json: { error: { code: 'SIGNATURE_INVALID', message: verdict.reason, retryable: false } },
        });
        return;
      }
      const key = String(req.headers['idempotency-key']);
      const nth = (perKey.get(key) ?? 0) + 1;
      perKey.set(key, nth);
      const script = scripts.get(name);
      reply(res, script ? script(call, nth) : fail(404, 'FUNCTION_NOT_FOUND', false));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
});

/** An invoker with a fast backoff, recording the waits it chose. */
function invoker(options: Partial<InvokerOptions> = {}): {
  invoke: ReturnType<typeof createInvoker>;
  retries: RetryEvent[];
} {
  const retries: RetryEvent[] = [];
  const invoke = createInvoker({
    baseUrl,
    secret: SECRET,
    timeoutMs: 2_000,
    retries: 2,
    backoff: { baseMs: 2, maxMs: 10 },
    onRetry: (event) => retries.push(event),
    ...options,
  });
  return { invoke, retries };
}

async function failure(promise: Promise<unknown>): Promise<InvokeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvokeError);
  return error as InvokeError;
}

describe('invoke against a real host', () => {
  it('delivers a signed call with meta, idempotency key and trace headers, and returns the reply', async () => {
    scripts.set('echo', (call) => ok({ echoed: call.body.input }));
    const { invoke, retries } = invoker();
    const meta = {
      invocationId: 'inv-1',
      requestId: 'req-1',
      threadId: 't-1',
      runId: 'r-1',
      step: 'plan',
    };
    const headers = {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'sentry-trace': '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1',
      baggage: 'sentry-environment=testing',
    };

    const result = await invoke<{ echoed: unknown }>('echo', { task: 'çalış' }, { meta, headers });

    expect(result).toEqual({
      output: { echoed: { task: 'çalış' } },
      meta: { durationMs: 1.5, coldStart: false, worker: 'w-1', version: 'v7' },
      attempts: 1,
    });
    expect(retries).toEqual([]);
    const [call] = callsTo('echo');
    expect(call?.body).toEqual({ input: { task: 'çalış' }, meta: { ...meta, attempt: 1 } });
    expect(call?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-request-id': 'req-1',
      'idempotency-key': 't-1:r-1:plan:inv-1',
      ...headers,
    });
    expect(call?.headers).not.toHaveProperty('tracestate');
  });

  it('makes up an invocation id and key when the caller gives none, a new one per call', async () => {
    scripts.set('fresh', () => ok(null));
    const { invoke } = invoker();
    await invoke('fresh', 1);
    await invoke('fresh', 2);
    const [first, second] = callsTo('fresh');
    for (const call of [first, second]) {
      expect(call?.body.meta.invocationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(call?.headers['idempotency-key']).toBe(call?.body.meta.invocationId);
      expect(call?.headers['x-request-id']).toBe(call?.body.meta.invocationId);
    }
    expect(first?.headers['idempotency-key']).not.toBe(second?.headers['idempotency-key']);
  });

  it('keeps a caller-given idempotency key, and derives one from partial meta', async () => {
    scripts.set('keyed', () => ok('done'));
    const { invoke } = invoker();
    await invoke('keyed', {}, { idempotencyKey: 'my-key', meta: { runId: 'r-9' } });
    await invoke('keyed', {}, { meta: { runId: 'r-9', invocationId: 'i-9' } });
    expect(callsTo('keyed').map((call) => call.headers['idempotency-key'])).toEqual([
      'my-key',
      ':r-9::i-9',
    ]);
  });

  it('retries retryable failures with the same key, a rising attempt and a fresh signature', async () => {
    // The failing replies take 5 ms, so a re-used signature would carry an older timestamp.
    scripts.set('flaky', (_call, nth) =>
      nth <= 2 ? { ...fail(500, 'WORKER_CRASHED', true), delayMs: 5 } : ok('third time'),
    );
    const { invoke, retries } = invoker();

    const result = await invoke(
      'flaky',
      { n: 1 },
      { meta: { invocationId: 'inv-flaky', step: 'act' } },
    );

    expect(result).toMatchObject({ output: 'third time', attempts: 3 });
    const seen = callsTo('flaky');
    expect(seen.map((call) => call.body.meta.attempt)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((call) => call.headers['idempotency-key']))).toEqual(
      new Set(['::act:inv-flaky']),
    );
    expect(new Set(seen.map((call) => call.body.meta.invocationId))).toEqual(
      new Set(['inv-flaky']),
    );
    expect(new Set(seen.map((call) => call.headers[SIGNATURE_HEADER])).size).toBe(3);
    const stamps = seen.map((call) => Number(call.headers[TIMESTAMP_HEADER]));
    expect(stamps[1]).toBeGreaterThanOrEqual((seen[0]?.at ?? 0) + 5);
    expect(stamps[2]).toBeGreaterThanOrEqual((seen[1]?.at ?? 0) + 5);
    expect(retries.map((event) => [event.attempt, event.error.code, event.error.status])).toEqual([
      [1, 'WORKER_CRASHED', 500],
      [2, 'WORKER_CRASHED', 500],
    ]);
  });

  it('gives up after retries + 1 attempts with the last error, naming the function', async () => {
    scripts.set('down', () => fail(502, 'WORKER_CRASHED', true));
    const error = await failure(invoker({ retries: 3 }).invoke('down', {}));
    expect(error).toMatchObject({
      code: 'WORKER_CRASHED',
      status: 502,
      retryable: true,
      attempts: 4,
      functionName: 'down',
    });
    expect(error.message).toBe('function down failed: worker_crashed happened (after 4 attempts)');
    expect(callsTo('down')).toHaveLength(4);
  });

  it.each([
    ['a 400', 'bad-input', 400, 'INPUT_INVALID', false],
    ['a 400 whose body claims retryable', 'bad-input-claims', 400, 'INPUT_INVALID', true],
    ['a 404', 'missing-fn', 404, 'FUNCTION_NOT_FOUND', false],
    ['a 500 marked not retryable', 'handler-bug', 500, 'HANDLER_FAILED', false],
  ])('never retries %s', async (_what, name, status, code, claimsRetryable) => {
    scripts.set(name, () => fail(status, code, claimsRetryable));
    const { invoke, retries } = invoker({ retries: 5 });
    const error = await failure(invoke(name, {}));
    expect(error).toMatchObject({ retryable: false, attempts: 1 });
    expect(error).toMatchObject({ status, code });
    expect(error.message).toContain(`function ${name} failed:`);
    expect(callsTo(name)).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('surfaces a wrong secret as a 401 that is not retried', async () => {
    scripts.set('guarded', () => ok('never'));
    const { invoke } = invoker({ secret: 'not-the-host-secret', retries: 3 });
    const error = await failure(invoke('guarded', {}));
    expect(error).toMatchObject({
      code: 'SIGNATURE_INVALID',
      status: 401,
      retryable: false,
      attempts: 1,
    });
    expect(error.message).toContain('signature does not match');
    expect(callsTo('guarded')).toHaveLength(1);
  });

  it('honours Retry-After on a 429', async () => {
    scripts.set('busy', (_call, nth) =>
      nth === 1 ? fail(429, 'QUEUE_FULL', false, { 'retry-after': '1' }) : ok('in'),
    );
    const { invoke, retries } = invoker({ backoff: { baseMs: 2, maxMs: 10 } });
    const result = await invoke('busy', {});
    expect(result.attempts).toBe(2);
    const [first, second] = callsTo('busy');
    const gap = (second?.at ?? 0) - (first?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(990);
    expect(gap).toBeLessThan(1_500);
    expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(1_000);
    expect(retries[0]?.delayMs).toBeLessThan(1_010);
  });

  it('caps a long Retry-After on a 503', async () => {
    scripts.set('very-busy', (_call, nth) =>
      nth === 1 ? fail(503, 'DRAINING', false, { 'retry-after': '3600' }) : ok('in'),
    );
    const { invoke, retries } = invoker({ backoff: { baseMs: 2, maxMs: 10, retryAfterCapMs: 60 } });
    const started = Date.now();
    await expect(invoke('very-busy', {})).resolves.toMatchObject({ attempts: 2 });
    expect(retries[0]?.delayMs).toBe(60);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('keeps each wait within the full-jitter bounds and actually waits it', async () => {
    scripts.set('bounded', () => fail(500, 'WORKER_CRASHED', true));
    const backoff = { baseMs: 8, maxMs: 20 };
    const { invoke, retries } = invoker({ retries: 4, backoff });
    await failure(invoke('bounded', {}));
    const seen = callsTo('bounded');
    expect(seen).toHaveLength(5);
    expect(retries).toHaveLength(4);
    retries.forEach((event, i) => {
      expect(event.delayMs).toBeGreaterThanOrEqual(0);
      expect(event.delayMs).toBeLessThan(Math.min(backoff.maxMs, backoff.baseMs * 2 ** i));
      const gap = (seen[i + 1]?.at ?? 0) - (seen[i]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(event.delayMs - 2);
    });
  });

  it('times out a hung call, retries it under the same key, and reports INVOKE_TIMEOUT', async () => {
    scripts.set('hangs', () => 'hang');
    const { invoke } = invoker({ timeoutMs: 100, retries: 1 });
    const started = Date.now();
    const error = await failure(invoke('hangs', {}, { meta: { invocationId: 'inv-hang' } }));
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({
      code: 'INVOKE_TIMEOUT',
      retryable: true,
      attempts: 2,
      status: undefined,
    });
    expect(error.message).toContain('function hangs did not reply within 100 ms');
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2_000);
    expect(callsTo('hangs').map((call) => call.headers['idempotency-key'])).toEqual([
      'inv-hang',
      'inv-hang',
    ]);
  });

  it('times out a reply whose body never finishes', async () => {
    scripts.set('slow-body', () => 'hang-body');
    const error = await failure(invoker({ timeoutMs: 80, retries: 0 }).invoke('slow-body', {}));
    expect(error).toMatchObject({ code: 'INVOKE_TIMEOUT', retryable: true, attempts: 1 });
  });

  it('succeeds when the attempt after a timeout answers; a per-call timeout wins', async () => {
    scripts.set('slow-once', (_call, nth) => (nth === 1 ? 'hang' : ok('late but fine')));
    const { invoke } = invoker({ timeoutMs: 5_000 });
    const started = Date.now();
    await expect(invoke('slow-once', {}, { timeoutMs: 80 })).resolves.toMatchObject({
      output: 'late but fine',
      attempts: 2,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('retries a connection the host drops, and reports INVOKE_NETWORK when it keeps dropping', async () => {
    scripts.set('drops-once', (_call, nth) => (nth === 1 ? 'destroy' : ok('reconnected')));
    const { invoke } = invoker();
    await expect(invoke('drops-once', {})).resolves.toMatchObject({
      output: 'reconnected',
      attempts: 2,
    });

    scripts.set('drops', () => 'destroy');
    const error = await failure(invoke('drops', {}));
    expect(error).toMatchObject({
      code: 'INVOKE_NETWORK',
      retryable: true,
      attempts: 3,
      status: undefined,
    });
    expect(error.message).toContain(
      `function drops at ${baseUrl} could not be reached or dropped the connection`,
    );
    expect(callsTo('drops')).toHaveLength(3);
  });

  it('retries a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { invoke, retries } = invoker({ baseUrl: `http://127.0.0.1:${port}`, retries: 2 });
    const error = await failure(invoke('plan', {}));
    expect(error).toMatchObject({ code: 'INVOKE_NETWORK', retryable: true, attempts: 3 });
    expect(error.message).toContain('(ECONNREFUSED)');
    expect(retries).toHaveLength(2);
  });

  it('turns a non-JSON 200 into INVOKE_BAD_REPLY without retrying', async () => {
    scripts.set('garbled', () => ({ status: 200, raw: '<html>\n  <body>oops</body>\n</html>' }));
    const error = await failure(invoker().invoke('garbled', {}));
    expect(error).toMatchObject({
      code: 'INVOKE_BAD_REPLY',
      status: 200,
      retryable: false,
      attempts: 1,
    });
    expect(error.message).toBe(
      'function garbled replied 200 with a body that is not JSON: <html> <body>oops</body> </html>',
    );
  });

  it.each([
    ['no meta', { output: 1 }],
    ['no output', { meta: { durationMs: 1, coldStart: true, worker: 'w', version: 'v' } }],
    ['a JSON scalar', 42],
  ])('turns a 200 with %s into INVOKE_BAD_REPLY', async (what, json) => {
    const name = `shape-${what.toLowerCase().replace(/\W+/g, '-')}`;
    scripts.set(name, () => ({ status: 200, json }));
    const error = await failure(invoker().invoke(name, {}));
    expect(error).toMatchObject({ code: 'INVOKE_BAD_REPLY', retryable: false });
    expect(error.message).toContain('{ output, meta: { durationMs, coldStart, worker, version } }');
  });

  it('accepts null output and a numeric worker id', async () => {
    scripts.set('nothing', () => ({
      status: 200,
      json: { output: null, meta: { durationMs: 0, coldStart: true, worker: 4242, version: 'v1' } },
    }));
    await expect(invoker().invoke('nothing', {})).resolves.toEqual({
      output: null,
      meta: { durationMs: 0, coldStart: true, worker: 4242, version: 'v1' },
      attempts: 1,
    });
  });

  it('turns an error reply without the error shape into INVOKE_BAD_REPLY', async () => {
    scripts.set('odd-error', () => ({ status: 500, json: { message: 'boom' } }));
    const error = await failure(invoker().invoke('odd-error', {}));
    expect(error).toMatchObject({
      code: 'INVOKE_BAD_REPLY',
      status: 500,
      retryable: false,
      attempts: 1,
    });
    expect(error.message).toContain('{ error: { code, message, retryable } }');
  });

  it('retries a proxy page on 503 and truncates it in the message', async () => {
    scripts.set('proxied', () => ({
      status: 503,
      raw: `<h1>Service Unavailable</h1>${'x'.repeat(500)}`,
    }));
    const error = await failure(invoker({ retries: 1 }).invoke('proxied', {}));
    expect(error).toMatchObject({
      code: 'INVOKE_BAD_REPLY',
      status: 503,
      retryable: true,
      attempts: 2,
    });
    expect(error.message).toMatch(/<h1>Service Unavailable<\/h1>x+… \(after 2 attempts\)$/);
    expect(error.message.length).toBeLessThan(400);
  });

  it('does not follow a redirect, which would send the call unsigned for another path', async () => {
    scripts.set('moved', () => ({
      status: 307,
      raw: '',
      headers: { location: `${baseUrl}/fn/echo` },
    }));
    const error = await failure(invoker().invoke('moved', {}));
    expect(error).toMatchObject({ code: 'INVOKE_BAD_REPLY', status: 307, retryable: false });
    expect(callsTo('moved')).toHaveLength(1);
  });

  it('treats an empty reply body as a bad reply', async () => {
    scripts.set('empty', () => ({ status: 200, raw: '' }));
    const error = await failure(invoker().invoke('empty', {}));
    expect(error.message).toBe('function empty replied 200 with a body that is not JSON: (empty)');
  });

  it('stops at once when the caller aborts a call in flight', async () => {
    scripts.set('abort-me', () => 'hang');
    const controller = new AbortController();
    const reason = new Error('run cancelled by user');
    const { invoke } = invoker({ retries: 5 });
    const started = Date.now();
    setTimeout(() => controller.abort(reason), 50);
    const error = await failure(invoke('abort-me', {}, { signal: controller.signal }));
    expect(error).toMatchObject({
      code: 'INVOKE_ABORTED',
      retryable: false,
      attempts: 1,
      cause: reason,
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(callsTo('abort-me')).toHaveLength(1);
  });

  it('stops at once when the caller aborts during a wait between attempts', async () => {
    scripts.set('abort-waiting', () => fail(429, 'QUEUE_FULL', false, { 'retry-after': '30' }));
    const controller = new AbortController();
    const { invoke } = invoker({
      retries: 5,
      onRetry: () => setTimeout(() => controller.abort(), 20),
    });
    const started = Date.now();
    const error = await failure(invoke('abort-waiting', {}, { signal: controller.signal }));
    expect(error).toMatchObject({ code: 'INVOKE_ABORTED', attempts: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(callsTo('abort-waiting')).toHaveLength(1);
  });

  it('signs the full path under a base URL with a prefix', async () => {
    scripts.set('prefixed', (call) => ok(call.path));
    const { invoke } = invoker({ baseUrl: `${baseUrl}/atolye/` });
    await expect(invoke('prefixed', {})).resolves.toMatchObject({ output: '/atolye/fn/prefixed' });
  });

  it('uses the fetch it is given', async () => {
    scripts.set('custom-fetch', () => ok('via wrapper'));
    const urls: string[] = [];
    const wrapped: typeof fetch = (url, init) => {
      urls.push(String(url));
      return fetch(url, init);
    };
    await expect(invoker({ fetch: wrapped }).invoke('custom-fetch', {})).resolves.toMatchObject({
      output: 'via wrapper',
    });
    expect(urls).toEqual([`${baseUrl}/fn/custom-fetch`]);
  });

  it('reports a request fetch refuses to make as INVOKE_FAILED, not retried', async () => {
    const { invoke, retries } = invoker({ baseUrl: 'http://127.0.0.1:1' });
    const error = await failure(invoke('plan', {}));
    expect(error).toMatchObject({ code: 'INVOKE_FAILED', retryable: false, attempts: 1 });
    expect(error.message).toBe(
      'calling function plan at http://127.0.0.1:1 failed: fetch failed: bad port',
    );
    expect(retries).toEqual([]);

    const badHeader = await failure(
      invoker().invoke('echo', {}, { headers: { traceparent: 'a\nb' } }),
    );
    expect(badHeader).toMatchObject({ code: 'INVOKE_FAILED', retryable: false, attempts: 1 });
    expect(badHeader.message).toContain('invalid header value');
  });
});
