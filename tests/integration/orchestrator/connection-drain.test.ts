import http from 'node:http';
import net from 'node:net';
import { rawErrorAnswer, trackConnections } from '../../../src/runtime/connection-drain.js';

// How a stopping orchestrator closes the run API's connections (runtime/connection-drain.ts), on a
// real HTTP server over loopback with raw client sockets: no request is cut while it is answered,
// a connection that sends its request as the drain begins still gets its answer, and what never
// ends is cut after the grace period.

let server: http.Server;
let port: number;
const sockets: net.Socket[] = [];

beforeEach(async () => {
  server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow'), 150);
    // A long wait (a join): answered long after any grace period.
    else if (req.url === '/wait') setTimeout(() => res.end('late'), 30_000).unref();
    else if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
    } else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A raw client: everything the server sent until it closed the connection. */
function client() {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  const connected = new Promise<void>((resolve) => socket.once('connect', resolve));
  return {
    connected,
    closed,
    received: () => received,
    get: (path: string): void => void socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`),
  };
}

const answers = (text: string): string[] => text.match(/HTTP\/1\.1 \d+ [A-Z ]+/gi) ?? [];
/** The headers and body of the last answer in `text`. */
const lastAnswer = (text: string): string => text.slice(text.lastIndexOf('HTTP/1.1 '));

test('requests in progress, and requests sent on idle and new connections as it drains, are answered and the connections closed', async () => {
  const drain = trackConnections(server);
  const slow = client();
  const keptAlive = client();
  const fresh = client();
  await Promise.all([slow.connected, keptAlive.connected, fresh.connected]);
  keptAlive.get('/ok');
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (answers(keptAlive.received()).length === 1) resolve(clearInterval(poll));
    }, 5);
  });
  slow.get('/slow');
  await new Promise((resolve) => setTimeout(resolve, 20));

  const drained = drain.drain(5_000);
  keptAlive.get('/ok');
  fresh.get('/ok');
  await drained;

  const [slowText, keptText, freshText] = await Promise.all([
    slow.closed,
    keptAlive.closed,
    fresh.closed,
  ]);
  expect(answers(slowText)).toEqual(['HTTP/1.1 200 OK']);
  expect(lastAnswer(slowText)).toMatch(/^connection: close\r$/im);
  expect(slowText).toMatch(/\r\n\r\nslow$/);
  expect(answers(keptText)).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
  // Kept alive before the drain, closed after the answer given while it drains.
  expect(keptText).toMatch(/^connection: keep-alive\r$/im);
  expect(lastAnswer(keptText)).toMatch(/^connection: close\r$/im);
  expect(answers(freshText)).toEqual(['HTTP/1.1 200 OK']);
});

test('a kept-alive connection that stays idle is closed, and a stream is cut after the grace period', async () => {
  const drain = trackConnections(server);
  const idle = client();
  const stream = client();
  await Promise.all([idle.connected, stream.connected]);
  idle.get('/ok');
  stream.get('/stream');
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (answers(idle.received()).length === 1 && answers(stream.received()).length === 1) {
        resolve(clearInterval(poll));
      }
    }, 5);
  });

  let drained = false;
  const draining = drain.drain(600).then(() => (drained = true));
  expect(answers(await idle.closed)).toEqual(['HTTP/1.1 200 OK']);
  // The idle connection closed first; the stream is still open until the grace ends.
  expect(drained).toBe(false);
  await draining;
  expect(answers(await stream.closed)).toEqual(['HTTP/1.1 200 OK']);
});

test('a request still unanswered when the grace ends gets a whole 503 with Retry-After; a stream under way just ends', async () => {
  const drain = trackConnections(server);
  const waiting = client();
  const stream = client();
  await Promise.all([waiting.connected, stream.connected]);
  waiting.get('/wait');
  stream.get('/stream');
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (answers(stream.received()).length === 1) resolve(clearInterval(poll));
    }, 5);
  });

  const unanswered = rawErrorAnswer('ORCHESTRATOR_UNAVAILABLE', 'the run API stopped', 1);
  await drain.drain(300, unanswered);
  const waitText = await waiting.closed;
  expect(answers(waitText)).toEqual(['HTTP/1.1 503 Service Unavailable']);
  expect(waitText).toMatch(/^retry-after: 1\r$/im);
  const body = JSON.parse(waitText.slice(waitText.indexOf('\r\n\r\n') + 4)) as unknown;
  expect(body).toEqual({
    error: { code: 'ORCHESTRATOR_UNAVAILABLE', message: 'the run API stopped', retryable: true },
  });
  // The stream had its headers: no second answer is written into it.
  expect(answers(await stream.closed)).toEqual(['HTTP/1.1 200 OK']);
});
