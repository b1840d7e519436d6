import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Fifo } from '../../../../src/runtime/host/fifo.js';
import {
  errorBody,
  givenRequestId,
  headerValue,
  type HttpError,
  readBody,
  send,
} from '../../../../src/runtime/host/http.js';

// The gateway's request-body limit over a real loopback socket: what is read, what is refused.

const LIMIT = 16;
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    readBody(req, LIMIT).then(
      (body) => send(res, 200, `read ${body.length}: ${body.toString()}`, {}),
      (error: HttpError) =>
        send(res, error.status, errorBody(error.code, error.message, error.retryable), {
          ...error.headers,
          'content-type': 'application/json',
        }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Posts `chunks` (chunked when `length` is not given) and returns the status, headers, body. */
async function post(chunks: string[], length?: number) {
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    headers: length === undefined ? {} : { 'content-length': String(length) },
  });
  const answered = once(req, 'response') as Promise<[IncomingMessage]>;
  req.on('error', () => undefined);
  for (const chunk of chunks) req.write(chunk);
  req.end();
  const [res] = await answered;
  let body = '';
  for await (const piece of res) body += String(piece);
  return { status: res.statusCode, connection: res.headers.connection, body };
}

describe('readBody', () => {
  it('reads a body of exactly the limit, in one piece or many', async () => {
    expect(await post(['x'.repeat(LIMIT)], LIMIT)).toMatchObject({
      status: 200,
      body: `read ${LIMIT}: ${'x'.repeat(LIMIT)}`,
    });
    expect(await post(['abc', 'def', 'ghi'])).toMatchObject({
      status: 200,
      body: 'read 9: abcdefghi',
    });
    expect(await post([], 0)).toMatchObject({ status: 200, body: 'read 0: ' });
  });

  it('refuses a declared length over the limit with a 413 that closes the connection', async () => {
    const answer = await post(['x'.repeat(LIMIT + 1)], LIMIT + 1);
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe('close');
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        code: 'BODY_TOO_LARGE',
        message: `request body exceeds the limit of ${LIMIT} bytes`,
        retryable: false,
      },
    });
  });

  it('refuses a chunked body once it grows past the limit', async () => {
    const answer = await post(['x'.repeat(10), 'y'.repeat(10)]);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
  });
});

describe('request headers', () => {
  const req = (headers: Record<string, string | string[]>) => ({ headers }) as IncomingMessage;

  it('takes the first of repeated headers, and a sane request id only', () => {
    expect(headerValue(req({ 'x-a': ['1', '2'] }), 'x-a')).toBe('1');
    expect(headerValue(req({ 'x-a': '3' }), 'x-a')).toBe('3');
    expect(headerValue(req({}), 'x-a')).toBeUndefined();
    expect(givenRequestId(req({ 'x-request-id': 'req-123' }))).toBe('req-123');
    expect(givenRequestId(req({ 'x-request-id': 'bad id\n' }))).toBeUndefined();
  });
});

describe('Fifo', () => {
  it('keeps working after a shift on an empty queue', () => {
    const fifo = new Fifo<string>();
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.length).toBe(0);
    fifo.push('a');
    expect(fifo.length).toBe(1);
    expect(fifo.shift()).toBe('a');
  });
});
