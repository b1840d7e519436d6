import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeError, createInvoker, type InvokerOptions } from '../../../src/runtime/invoke.js';
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

/** An invoker with a short deadline. */
function invoker(options: Partial<InvokerOptions> = {}): {
  invoke: ReturnType<typeof createInvoker>;
} {
  const invoke = createInvoker({ baseUrl, secret: SECRET, timeoutMs: 2_000, ...options });
  return { invoke };
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
    const { invoke } = invoker();
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
    });
    expect(callsTo('echo')).toHaveLength(1);
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

  it('makes one attempt: a retryable failure comes back as the error, marked retryable', async () => {
    scripts.set('flaky', (_call, nth) =>
      nth === 1 ? fail(502, 'WORKER_CRASHED', true) : ok('second time'),
    );
    const { invoke } = invoker();
    const call = { meta: { invocationId: 'inv-flaky', step: 'act' } };

    const error = await failure(invoke('flaky', { n: 1 }, call));
    expect(error).toMatchObject({
      code: 'WORKER_CRASHED',
      status: 502,
      retryable: true,
      functionName: 'flaky',
    });
    expect(error.message).toBe('function flaky failed: worker_crashed happened');
    expect(callsTo('flaky')).toHaveLength(1);

    // The caller's retry layer repeats the call: same key, its own attempt number, a new signature.
    await expect(
      invoke('flaky', { n: 1 }, { meta: { ...call.meta, attempt: 2 } }),
    ).resolves.toMatchObject({ output: 'second time' });
    const seen = callsTo('flaky');
    expect(seen.map((one) => one.body.meta.attempt)).toEqual([1, 2]);
    expect(seen.map((one) => one.headers['idempotency-key'])).toEqual([
      '::act:inv-flaky',
      '::act:inv-flaky',
    ]);
    expect(new Set(seen.map((one) => one.headers[SIGNATURE_HEADER])).size).toBe(2);
  });

  it.each([
    ['a 400', 'bad-input', 400, 'INPUT_INVALID', false],
    ['a 400 whose body claims retryable', 'bad-input-claims', 400, 'INPUT_INVALID', true],
    ['a 404', 'missing-fn', 404, 'FUNCTION_NOT_FOUND', false],
    ['a 500 marked not retryable', 'handler-bug', 500, 'HANDLER_FAILED', false],
  ])('marks %s not retryable', async (_what, name, status, code, claimsRetryable) => {
    scripts.set(name, () => fail(status, code, claimsRetryable));
    const error = await failure(invoker().invoke(name, {}));
    expect(error).toMatchObject({ retryable: false, status, code });
    expect(error.message).toContain(`function ${name} failed:`);
    expect(callsTo(name)).toHaveLength(1);
  });

  it('surfaces a wrong secret as a 401 that is not retryable', async () => {
    scripts.set('guarded', () => ok('never'));
    const error = await failure(invoker({ secret: 'not-the-host-secret' }).invoke('guarded', {}));
    expect(error).toMatchObject({ code: 'SIGNATURE_INVALID', status: 401, retryable: false });
    expect(error.message).toContain('signature does not match');
    expect(callsTo('guarded')).toHaveLength(1);
  });

  it.each([
    ['a 429', 'busy', 429, 'QUEUE_FULL', '1', 1_000],
    ['a 503', 'draining', 503, 'FUNCTION_DRAINING', '3600', 3_600_000],
  ])(
    'marks %s retryable whatever its body says, and passes on its Retry-After',
    async (_what, name, status, code, retryAfter, retryAfterMs) => {
      scripts.set(name, () => fail(status, code, false, { 'retry-after': retryAfter }));
      const error = await failure(invoker().invoke(name, {}));
      expect(error).toMatchObject({ code, status, retryable: true, retryAfterMs });
      expect(callsTo(name)).toHaveLength(1);
    },
  );

  it('times out a hung call once and reports INVOKE_TIMEOUT, retryable', async () => {
    scripts.set('hangs', () => 'hang');
    const started = Date.now();
    const error = await failure(
      invoker({ timeoutMs: 100 }).invoke('hangs', {}, { meta: { invocationId: 'inv-hang' } }),
    );
    expect(error).toMatchObject({ code: 'INVOKE_TIMEOUT', retryable: true, status: undefined });
    expect(error.message).toBe('function hangs did not reply within 100 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(callsTo('hangs')).toHaveLength(1);
  });

  it('times out a reply whose body never finishes', async () => {
    scripts.set('slow-body', () => 'hang-body');
    const error = await failure(invoker({ timeoutMs: 80 }).invoke('slow-body', {}));
    expect(error).toMatchObject({ code: 'INVOKE_TIMEOUT', retryable: true });
  });

  it('lets a per-call timeout win over the client default', async () => {
    scripts.set('slow-once', () => 'hang');
    const error = await failure(
      invoker({ timeoutMs: 5_000 }).invoke('slow-once', {}, { timeoutMs: 80 }),
    );
    expect(error.message).toBe('function slow-once did not reply within 80 ms');
  });

  it('reports a connection the host drops as INVOKE_NETWORK, retryable, after one attempt', async () => {
    scripts.set('drops', () => 'destroy');
    const error = await failure(invoker().invoke('drops', {}));
    expect(error).toMatchObject({ code: 'INVOKE_NETWORK', retryable: true, status: undefined });
    expect(error.message).toContain(
      `function drops at ${baseUrl} could not be reached or dropped the connection`,
    );
    expect(callsTo('drops')).toHaveLength(1);
  });

  it('reports a refused connection as INVOKE_NETWORK, retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(
      invoker({ baseUrl: `http://127.0.0.1:${port}` }).invoke('plan', {}),
    );
    expect(error).toMatchObject({ code: 'INVOKE_NETWORK', retryable: true });
    expect(error.message).toContain('(ECONNREFUSED)');
  });

  it('turns a non-JSON 200 into INVOKE_BAD_REPLY, not retryable', async () => {
    scripts.set('garbled', () => ({ status: 200, raw: '<html>\n  <body>oops</body>\n</html>' }));
    const error = await failure(invoker().invoke('garbled', {}));
    expect(error).toMatchObject({
      code: 'INVOKE_BAD_REPLY',
      status: 200,
      retryable: false,
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
    });
  });

  it('turns an error reply without the error shape into INVOKE_BAD_REPLY', async () => {
    scripts.set('odd-error', () => ({ status: 500, json: { message: 'boom' } }));
    const error = await failure(invoker().invoke('odd-error', {}));
    expect(error).toMatchObject({
      code: 'INVOKE_BAD_REPLY',
      status: 500,
      retryable: false,
    });
    expect(error.message).toContain('{ error: { code, message, retryable } }');
  });

  it('marks a proxy page on 503 retryable and truncates it in the message', async () => {
    scripts.set('proxied', () => ({
      status: 503,
      raw: `<h1>Service Unavailable</h1>${'x'.repeat(500)}`,
    }));
    const error = await failure(invoker().invoke('proxied', {}));
    expect(error).toMatchObject({ code: 'INVOKE_BAD_REPLY', status: 503, retryable: true });
    expect(error.message).toMatch(/<h1>Service Unavailable<\/h1>x+…$/);
    expect(callsTo('proxied')).toHaveLength(1);
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
    const started = Date.now();
    setTimeout(() => controller.abort(reason), 50);
    const error = await failure(invoker().invoke('abort-me', {}, { signal: controller.signal }));
    expect(error).toMatchObject({ code: 'INVOKE_ABORTED', retryable: false, cause: reason });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(callsTo('abort-me')).toHaveLength(1);
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

  it('reports a request fetch refuses to make as INVOKE_FAILED, not retryable', async () => {
    const { invoke } = invoker({ baseUrl: 'http://127.0.0.1:1' });
    const error = await failure(invoke('plan', {}));
    expect(error).toMatchObject({ code: 'INVOKE_FAILED', retryable: false });
    expect(error.message).toBe(
      'calling function plan at http://127.0.0.1:1 failed: fetch failed: bad port',
    );

    const badHeader = await failure(
      invoker().invoke('echo', {}, { headers: { traceparent: 'a\nb' } }),
    );
    expect(badHeader).toMatchObject({ code: 'INVOKE_FAILED', retryable: false });
    expect(badHeader.message).toContain('invalid header value');
  });
});
