import path from 'node:path';
import { createGateway, type Gateway } from '../../../src/runtime/host/gateway.js';
import { Registry } from '../../../src/runtime/host/registry.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  rawConnection,
  startApi,
  startStandInHost,
  trickle,
  type Receiver,
  type SecurityApi,
} from './http-helpers.js';

// Slow and half-open connections are closed by the servers' own timeouts, on the run API and on
// the worker host alike: raw TCP clients against real servers on port 0, with the timeouts
// shortened so the test runs in seconds (the defaults are tens of seconds).

const HEADERS_MS = 400;
const REQUEST_MS = 1_000;
const KEEP_ALIVE_MS = 300;

let work: ReturnType<typeof tempDir>;
let host: Receiver;
let api: SecurityApi;
let gateway: Gateway;
let gatewayUrl: string;

beforeAll(async () => {
  work = tempDir('atolye-http-timeouts-');
  host = await startStandInHost();
  api = await startApi(path.join(work.dir, 'api'), host.url, {
    'api.headersTimeoutMs': String(HEADERS_MS),
    'api.requestTimeoutMs': String(REQUEST_MS),
    'api.keepAliveTimeoutMs': String(KEEP_ALIVE_MS),
  });
  gateway = createGateway({
    config: { security: { signingSecret: 'test-signing-secret', adminToken: '' } },
    registry: new Registry(),
    timeouts: {
      headersTimeoutMs: HEADERS_MS,
      requestTimeoutMs: REQUEST_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_MS,
    },
  });
  gatewayUrl = (await gateway.listen(0, '127.0.0.1')).url;
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await gateway?.close();
  await host?.close();
  work?.cleanup();
});

const servers = (): [string, string][] => [
  ['the run API', api.url],
  ['the worker host', gatewayUrl],
];

/** A request line and headers that never end: a byte every 50 ms, forever. */
const ENDLESS_HEADERS = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'s'.repeat(10_000)}`;

test('a headers timeout longer than the request timeout is refused at start, naming both', async () => {
  await expect(
    startApi(path.join(work.dir, 'inverted'), host.url, {
      'api.headersTimeoutMs': '2000',
      'api.requestTimeoutMs': '1000',
    }),
  ).rejects.toMatchObject({
    code: 'CONFIG_INVALID',
    message: expect.stringMatching(
      /api\.headersTimeoutMs and api\.requestTimeoutMs: .*2000 ms.*1000 ms/,
    ),
  });
});

describe.each([0, 1])('server %#', (index) => {
  const target = () => servers()[index] as [string, string];

  test('a client sending its headers byte by byte is closed after the headers timeout', async () => {
    const [name, url] = target();
    const closed = await rawConnection(url, (socket) => trickle(socket, ENDLESS_HEADERS, 50));
    expect([name, closed.text]).toEqual([name, expect.stringMatching(/^HTTP\/1\.1 408 /)]);
    expect(closed.afterMs).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expect(closed.afterMs).toBeLessThan(HEADERS_MS + 2_000);
  });

  test('a connection that sends nothing is closed after the headers timeout', async () => {
    const [name, url] = target();
    const closed = await rawConnection(url, () => undefined);
    expect([name, closed.afterMs < HEADERS_MS + 2_000]).toEqual([name, true]);
  });

  test('a connection that stops halfway through its headers is closed', async () => {
    const [name, url] = target();
    const closed = await rawConnection(url, (socket) =>
      socket.write('GET /healthz HTTP/1.1\r\nHo'),
    );
    expect([name, closed.text]).toEqual([name, expect.stringMatching(/^HTTP\/1\.1 408 /)]);
    expect(closed.afterMs).toBeLessThan(HEADERS_MS + 2_000);
  });

  test('a body that trickles in is cut at the request timeout', async () => {
    const [name, url] = target();
    const closed = await rawConnection(url, (socket) => {
      socket.write(
        `POST /threads HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${api.key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`,
      );
      trickle(socket, '{', 50);
    });
    expect(closed.afterMs).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect([name, closed.afterMs < REQUEST_MS + 2_000]).toEqual([name, true]);
  });

  test('an idle kept-alive connection is closed after the keep-alive timeout', async () => {
    const [name, url] = target();
    const closed = await rawConnection(url, (socket) =>
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    expect([name, closed.text]).toEqual([name, expect.stringMatching(/^HTTP\/1\.1 200 /)]);
    // Node adds up to a second of grace to the keep-alive timeout.
    expect(closed.afterMs).toBeLessThan(KEEP_ALIVE_MS + 2_500);
  });
});
