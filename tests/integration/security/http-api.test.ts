import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createGateway, type Gateway } from '../../../src/runtime/host/gateway.js';
import { Registry } from '../../../src/runtime/host/registry.js';
import { REQUEST_ID_MAX_LENGTH } from '../../../src/logging/request-id.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  rawConnection,
  startApi,
  startStandInHost,
  type Receiver,
  type SecurityApi,
} from './http-helpers.js';

// The run API's HTTP details, against the real orchestrator on port 0: a JSON body is JSON
// whatever the case of its Content-Type, a known path with another method is 405 with Allow, the
// request id a client sends is kept only when it is short and plain (one rule, shared with the
// worker host), and a short requestTimeout never cuts a long SSE stream.

let work: ReturnType<typeof tempDir>;
/** Its steps answer after 2.5 s, so a run lasts longer than the API's request timeout. */
let host: Receiver;
let api: SecurityApi;
let gateway: Gateway;
let gatewayUrl: string;

beforeAll(async () => {
  work = tempDir('atolye-http-api-');
  host = await startStandInHost(2_500);
  api = await startApi(path.join(work.dir, 'api'), host.url, {
    'api.headersTimeoutMs': '500',
    'api.requestTimeoutMs': '1000',
  });
  gateway = createGateway({
    config: { security: { signingSecret: 'test-signing-secret', adminToken: '' } },
    registry: new Registry(),
  });
  gatewayUrl = (await gateway.listen(0, '127.0.0.1')).url;
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await gateway?.close();
  await host?.close();
  work?.cleanup();
});

function send(route: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  return fetch(`${api.url}${route}`, {
    ...init,
    headers: { 'x-api-key': api.key, ...init.headers },
  });
}

describe('Content-Type', () => {
  test.each([
    'APPLICATION/JSON',
    'Application/Json; Charset=UTF-8',
    'application/json ; charset=utf-8',
    'application/JSON;charset="utf-8"',
  ])('%j is JSON: the body is read, not dropped', async (type) => {
    const threadId = randomUUID();
    const created = await send('/threads', {
      method: 'POST',
      headers: { 'content-type': type },
      body: JSON.stringify({ thread_id: threadId, metadata: { origin: type } }),
    });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ thread_id: threadId, metadata: { origin: type } });

    const malformed = await send('/threads', {
      method: 'POST',
      headers: { 'content-type': type },
      body: '{"thread_id": ',
    });
    expect(malformed.status).toBe(400);
  });

  test('a required JSON body in capitals is validated as sent', async () => {
    const threadId = randomUUID();
    const refused = await send(`/threads/${threadId}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'APPLICATION/JSON' },
      body: JSON.stringify({ assistant_id: 'atolye', input: { task: 42 } }),
    });
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: { message: string } };
    // The field that is wrong, not "assistant_id: required" as for a body that was never read.
    expect(error.message).toMatch(/input\.task/);
    expect(error.message).not.toMatch(/assistant_id/);
  });

  test('a body that is not JSON is still refused', async () => {
    const refused = await send('/threads', {
      method: 'POST',
      headers: { 'content-type': 'TEXT/PLAIN' },
      body: '{}',
    });
    expect(refused.status).toBe(415);
  });
});

describe('methods', () => {
  test.each<[string, string, string]>([
    ['DELETE', '/threads/{id}/runs', 'GET, HEAD, POST'],
    ['PUT', '/threads/{id}/files/a.txt', 'GET, HEAD'],
    // Also /threads/{id} for a thread named "search": its methods are allowed too.
    ['PUT', '/threads/search', 'DELETE, GET, HEAD, PATCH, POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['PATCH', '/openapi.json', 'GET, HEAD'],
  ])('%s %s is 405 with Allow: %s', async (method, route, allow) => {
    const response = await send(route.replace('{id}', randomUUID()), { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('METHOD_NOT_ALLOWED');
    expect(error.message).toContain(allow);
  });

  // Found by `npm run fuzz`: Node drops a CONNECT no one listens for, without a word.
  test('a CONNECT is 405 METHOD_NOT_ALLOWED on the run API and on the worker host', async () => {
    for (const url of [api.url, gatewayUrl]) {
      const closed = await rawConnection(url, (socket) =>
        socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'),
      );
      const [head = '', body = ''] = closed.text.split('\r\n\r\n');
      expect([url, head.split('\r\n')[0]]).toEqual([url, 'HTTP/1.1 405 Method Not Allowed']);
      expect(JSON.parse(body)).toEqual({
        error: {
          code: 'METHOD_NOT_ALLOWED',
          message: 'CONNECT is not taken: this server is no proxy',
          retryable: false,
        },
      });
    }
  });

  test('a path no route knows stays 404', async () => {
    const response = await send('/no/such/route', { method: 'DELETE' });
    expect(response.status).toBe(404);
    expect(response.headers.get('allow')).toBeNull();
  });

  test('a wrong method on a keyed path needs the key first', async () => {
    const response = await fetch(`${api.url}/threads/search`, { method: 'GET' });
    expect(response.status).toBe(401);
  });
});

describe('x-request-id, one rule for the run API and the worker host', () => {
  const longest = 'a'.repeat(REQUEST_ID_MAX_LENGTH);
  test.each<[string, string, boolean]>([
    ['a UUID', randomUUID(), true],
    ['128 plain characters', longest, true],
    ['a trace-like id', 'req-1.2:3_4', true],
    ['129 characters', `${longest}b`, false],
    ['10,000 characters', 'x'.repeat(10_000), false],
    ['spaces', 'a b', false],
    ['quotes and angle brackets', '"<script>"', false],
    ['a JSON fragment', '{"level":"error"}', false],
  ])('%s: kept %s', async (_name, id, kept) => {
    for (const url of [`${api.url}/healthz`, `${gatewayUrl}/healthz`]) {
      const response = await fetch(url, { headers: { 'x-request-id': id } });
      expect(response.status).toBe(200);
      const answered = response.headers.get('x-request-id') ?? '';
      if (kept) expect([url, answered]).toEqual([url, id]);
      else {
        expect([url, answered]).not.toEqual([url, id]);
        expect(answered).toMatch(/^[0-9a-f-]{36}$/);
      }
    }
  });
});

describe('server timeouts and long streams', () => {
  test('an SSE stream outlives api.requestTimeoutMs (it bounds the request, not the reply)', async () => {
    const started = Date.now();
    const response = await send(`/threads/${randomUUID()}/runs/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        assistant_id: 'atolye',
        input: { task: 'stream past the timeout' },
        if_not_exists: 'create',
      }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(Date.now() - started).toBeGreaterThan(2_000);
    const events = [...text.matchAll(/^event: ?(.*)$/gm)].map((match) => match[1]);
    expect(events[0]).toBe('metadata');
    expect(events).toContain('error');
    expect(events.at(-1)).toBe('end');
  });
});
