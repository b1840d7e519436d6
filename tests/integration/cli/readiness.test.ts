import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeReadiness, readinessOf } from '../../../src/cli/readiness.js';
import { renderReadiness } from '../../../src/monitoring/readiness.js';

// What `atolye status` and `deploy` read from a /readyz on loopback: a service's document, or one
// failed check saying the answer never came or was not a readiness document.

let server: Server;
let url: string;
let answer: { status: number; type: string; body: string };

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/readyz' ? answer.status : 404, { 'content-type': answer.type });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test('a rendered readiness answer reads back as it was sent, 503 included', async () => {
  const rendered = renderReadiness({
    'logs:writable': { status: 'fail', output: 'the log directory is read-only' },
    'disk:free': { status: 'pass', observedValue: 900, observedUnit: 'MiB' },
  });
  answer = {
    status: rendered.httpStatus,
    type: rendered.headers['content-type'],
    body: rendered.body,
  };
  const readiness = await readinessOf(url);
  expect(readiness).toEqual(JSON.parse(rendered.body));
  expect(describeReadiness('orchestrator', readiness).split('\n')).toEqual([
    '',
    'orchestrator readiness: fail',
    '  fail  logs:writable  the log directory is read-only',
    '  pass  disk:free      900 MiB',
  ]);
});

test('something other than a readiness document is a failed readyz:readable check naming it', async () => {
  answer = { status: 200, type: 'text/html', body: '<html><body>hello</body></html>' };
  const readiness = await readinessOf(url);
  expect(readiness.status).toBe('fail');
  expect(Object.keys(readiness.checks)).toEqual(['readyz:readable']);
  expect(readiness.checks['readyz:readable']?.[0]?.output).toBe(
    `${url}/readyz is not a readiness document ({"status": "pass"|"warn"|"fail", "checks": {…}}, ` +
      'application/health+json): it is not JSON: "<html><body>hello</body></html>"; ' +
      'is the URL that of an atolye worker host or orchestrator?',
  );

  answer = { status: 200, type: 'application/json', body: '{"status":"ready"}' };
  const wrongShape = await readinessOf(url);
  expect(wrongShape.checks['readyz:readable']?.[0]?.output).toMatch(
    /: status: .*"pass".*; checks: .*; is the URL/,
  );
});

test('a port where nothing listens is a failed readyz:answered check', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
  const readiness = await readinessOf(deadUrl);
  expect(readiness.status).toBe('fail');
  expect(readiness.checks['readyz:answered']?.[0]?.output).toMatch(
    new RegExp(`^${deadUrl}/readyz did not answer: `),
  );
});
