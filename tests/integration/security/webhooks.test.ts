import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { ChannelLogger } from '../../../src/logging/index.js';
import { deliverWebhook } from '../../../src/orchestrator/webhook.js';
import { webhookPolicy } from '../../../src/orchestrator/webhook-policy.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  startApi,
  startReceiver,
  startStandInHost,
  type Receiver,
  type SecurityApi,
} from './http-helpers.js';
import { eventually } from '../../helpers/eventually.js';

// Webhooks are no way into the private network: run creation refuses a receiver on loopback,
// link-local, private or this server's own addresses unless api.webhookAllowHosts lists it; the
// address is checked again when the run ends, the connection goes to the checked address, and a
// redirect is never followed. Real orchestrators and receivers on loopback, port 0.

let work: ReturnType<typeof tempDir>;
let host: Receiver;
let receiver: Receiver;
let redirector: Receiver;
let elsewhere: Receiver;
/** No api.webhookAllowHosts: every private receiver is refused. */
let strict: SecurityApi;
/** Allows the receiver and the redirector by host:port. */
let allowing: SecurityApi;
/** Allows 127.0.0.1 without a port: any port there but the product's own. */
let loopbackHost: SecurityApi;

beforeAll(async () => {
  work = tempDir('atolye-webhooks-');
  host = await startStandInHost();
  receiver = await startReceiver();
  elsewhere = await startReceiver();
  redirector = await startReceiver((_req, res) => {
    res.writeHead(307, { location: `${elsewhere.url}/stolen` });
    res.end();
  });
  strict = await startApi(path.join(work.dir, 'strict'), host.url);
  allowing = await startApi(path.join(work.dir, 'allowing'), host.url, {
    'api.webhookAllowHosts': ` 127.0.0.1:${receiver.port} , 127.0.0.1:${redirector.port}`,
  });
  loopbackHost = await startApi(path.join(work.dir, 'loopback'), host.url, {
    'api.webhookAllowHosts': '127.0.0.1',
  });
}, 60_000);

afterAll(async () => {
  await strict?.stop();
  await allowing?.stop();
  await loopbackHost?.stop();
  for (const server of [host, receiver, redirector, elsewhere]) await server?.close();
  work?.cleanup();
});

async function call(
  api: SecurityApi,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${api.url}${route}`, {
    method,
    headers: { 'x-api-key': api.key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : JSON.parse(text) };
}

async function newThread(api: SecurityApi): Promise<string> {
  const created = await call(api, 'POST', '/threads', {});
  expect(created.status).toBe(200);
  return created.json.thread_id as string;
}

const run = (webhook: string) => ({ assistant_id: 'atolye', input: { task: 'x' }, webhook });

describe('run creation', () => {
  test.each<[string, string, RegExp]>([
    ['http://localhost:9/hook', 'localhost', /resolves to a loopback address/],
    ['http://127.0.0.1:9/hook', '127.0.0.1', /is a loopback address/],
    ['http://127.1/hook', '127.0.0.1', /is a loopback address/],
    ['http://0x7f000001/hook', '127.0.0.1', /is a loopback address/],
    ['http://2130706433/hook', '127.0.0.1', /is a loopback address/],
    ['http://[::1]:9/hook', '[::1]', /is a loopback address/],
    ['http://0.0.0.0:9/hook', '0.0.0.0', /unspecified address/],
    ['http://0/hook', '0.0.0.0', /unspecified address/],
    ['http://[::]/hook', '[::]', /unspecified address/],
    ['http://10.0.0.8/hook', '10.0.0.8', /private address/],
    ['http://172.16.4.1/hook', '172.16.4.1', /private address/],
    ['http://192.168.1.1/hook', '192.168.1.1', /private address/],
    ['http://100.64.0.1/hook', '100.64.0.1', /carrier-grade NAT/],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', /metadata/],
    ['http://169.254.10.1/hook', '169.254.10.1', /link-local/],
    ['http://[fe80::1]/hook', '[fe80::1]', /link-local/],
    ['http://[fc00::1]/hook', '[fc00::1]', /unique-local/],
    ['http://[fd12:3456::1]/hook', '[fd12:3456::1]', /unique-local/],
    ['http://[::ffff:127.0.0.1]/hook', '[::ffff:7f00:1]', /IPv4-mapped .*loopback/],
    ['http://[::ffff:a9fe:a9fe]/hook', '[::ffff:a9fe:a9fe]', /IPv4-mapped .*metadata/],
    ['http://[64:ff9b::a00:1]/hook', '[64:ff9b::a00:1]', /NAT64 .*private/],
    ['http://[::127.0.0.1]/hook', '[::7f00:1]', /IPv4-compatible .*loopback/],
    ['http://[2002:a9fe:a9fe::1]/hook', '[2002:a9fe:a9fe::1]', /6to4 .*metadata/],
    ['http://224.0.0.1/hook', '224.0.0.1', /multicast/],
    ['https://255.255.255.255/hook', '255.255.255.255', /reserved/],
  ])('%s is a 400 naming %s, the reason and the setting', async (webhook, shown, reason) => {
    const threadId = await newThread(strict);
    const refused = await call(strict, 'POST', `/threads/${threadId}/runs`, run(webhook));
    expect(refused.status).toBe(400);
    const error = refused.json.error as { code: string; message: string; retryable: boolean };
    expect(error.code).toBe('WEBHOOK_REFUSED');
    expect(error.message).toContain(shown);
    expect(error.message).toMatch(reason);
    expect(error.message).toContain('api.webhookAllowHosts');
    expect(error.retryable).toBe(false);
    expect((await call(strict, 'GET', `/threads/${threadId}/runs`)).json).toEqual([]);
  });

  test('the wait and stream routes refuse the same way, and no run starts', async () => {
    const threadId = await newThread(strict);
    for (const route of ['runs/wait', 'runs/stream']) {
      const refused = await call(strict, 'POST', `/threads/${threadId}/${route}`, {
        ...run('http://127.0.0.1:9/hook'),
        if_not_exists: 'create',
      });
      expect([route, refused.status]).toEqual([route, 400]);
      expect((refused.json.error as { code: string }).code).toBe('WEBHOOK_REFUSED');
    }
    expect((await call(strict, 'GET', `/threads/${threadId}/runs`)).json).toEqual([]);
  });

  test('only http and https URLs are accepted', async () => {
    const threadId = await newThread(allowing);
    for (const webhook of ['ftp://127.0.0.1/x', 'file:///etc/passwd', 'gopher://127.0.0.1:70/']) {
      const refused = await call(allowing, 'POST', `/threads/${threadId}/runs`, run(webhook));
      expect([webhook, refused.status]).toEqual([webhook, 400]);
    }
    // The policy itself says so too, for a URL that reached it some other way.
    const policy = webhookPolicy({ allowHosts: '127.0.0.1', ownPorts: [] });
    await expect(policy.check('ftp://127.0.0.1/x')).rejects.toMatchObject({
      code: 'WEBHOOK_REFUSED',
      message: expect.stringMatching(/ftp:\/\/: use an http:\/\/ or https:\/\/ URL/),
    });
  });

  test("a host listed without a port opens every port there but the product's own", async () => {
    const threadId = await newThread(loopbackHost);
    const own = await call(loopbackHost, 'POST', `/threads/${threadId}/runs`, {
      ...run(`${host.url}/hook`),
    });
    expect(own.status).toBe(400);
    const error = own.json.error as { code: string; message: string };
    expect(error.code).toBe('WEBHOOK_REFUSED');
    expect(error.message).toMatch(/worker host/);
    expect(error.message).toContain(`127.0.0.1:${host.port}`);

    const other = await call(loopbackHost, 'POST', `/threads/${threadId}/runs`, {
      ...run(`${receiver.url}/from-loopback-host`),
    });
    expect(other.status).toBe(200);
    await call(
      loopbackHost,
      'GET',
      `/threads/${threadId}/runs/${other.json.run_id as string}/join`,
    );
    await eventually('the webhook of the run on the loopback host', () =>
      receiver.received.some((r) => r.path === '/from-loopback-host'),
    );
    expect(receiver.received.map((r) => r.path)).toContain('/from-loopback-host');
  });
});

describe('delivery', () => {
  test('an allowed loopback receiver gets the run record when the run ends', async () => {
    const threadId = await newThread(allowing);
    const created = await call(allowing, 'POST', `/threads/${threadId}/runs`, {
      ...run(`${receiver.url}/hook?token=abc`),
    });
    expect(created.status).toBe(200);
    const runId = created.json.run_id as string;
    await eventually('the webhook to arrive', () =>
      receiver.received.some((r) => r.path === '/hook?token=abc'),
    );
    const got = receiver.received.find((r) => r.path === '/hook?token=abc');
    expect(got?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got?.body ?? '{}')).toMatchObject({
      run_id: runId,
      thread_id: threadId,
      status: 'error',
    });
  });

  test('a redirect from an allowed receiver is not followed, nor retried', async () => {
    const threadId = await newThread(allowing);
    const created = await call(allowing, 'POST', `/threads/${threadId}/runs`, {
      ...run(`${redirector.url}/moved`),
    });
    expect(created.status).toBe(200);
    await eventually('the redirecting receiver to be called', () => redirector.received.length > 0);
    const errors = path.join(allowing.logDir, 'errors.log');
    await eventually(
      'the refused redirect in errors.log',
      () => existsSync(errors) && /redirect/.test(readFileSync(errors, 'utf8')),
    );
    // Retries would come 500 ms and 1 s later: long enough to see one.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(redirector.received).toHaveLength(1);
    expect(elsewhere.received).toEqual([]);
    const line = readFileSync(errors, 'utf8')
      .split('\n')
      .filter((text) => text.includes('webhook'))
      .map((text) => JSON.parse(text) as { msg: string; url: string })[0];
    expect(line?.msg).toMatch(/redirected .*not followed/);
    expect(line?.url).toBe(`${redirector.url}/moved`);
  });

  test('the connection goes to the address the policy resolved and checked', async () => {
    const logger = recordingLogger();
    const policy = webhookPolicy({
      allowHosts: `hooks.test:${receiver.port}`,
      ownPorts: [],
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    // No resolver on this machine knows hooks.test: only the pinned address can reach the receiver.
    const url = `http://hooks.test:${receiver.port}/pinned`;
    expect(await deliverWebhook(url, { ok: true }, logger, policy)).toBe(true);
    const got = receiver.received.find((r) => r.path === '/pinned');
    expect(got?.headers.host).toBe(`hooks.test:${receiver.port}`);
    expect(JSON.parse(got?.body ?? '{}')).toEqual({ ok: true });
  });

  test('a name that resolves elsewhere by the time the run ends is refused then (DNS rebinding)', async () => {
    const logger = recordingLogger();
    const answers = ['93.184.216.34', '127.0.0.1'];
    const policy = webhookPolicy({
      allowHosts: '',
      ownPorts: [],
      resolve: async () => [{ address: answers.shift() ?? '127.0.0.1', family: 4 }],
    });
    const url = `http://rebind.test:${receiver.port}/rebound`;
    // At run creation the name pointed at a public address.
    await expect(policy.check(url)).resolves.toMatchObject({ address: '93.184.216.34' });
    expect(await deliverWebhook(url, { ok: true }, logger, policy)).toBe(false);
    expect(receiver.received.some((r) => r.path === '/rebound')).toBe(false);
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/resolves to a loopback address/) }),
    ]);
  });

  test('a name with any private address among its answers is refused', async () => {
    const policy = webhookPolicy({
      allowHosts: '',
      ownPorts: [],
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.1.1.1', family: 4 },
      ],
    });
    await expect(policy.check('https://mixed.test/x')).rejects.toMatchObject({
      code: 'WEBHOOK_REFUSED',
      message: expect.stringMatching(/"mixed\.test" resolves to a private address \(10\.1\.1\.1\)/),
    });
    // Some resolvers answer an IPv4-mapped address in its dotted form.
    const mapped = webhookPolicy({
      allowHosts: '',
      ownPorts: [],
      resolve: async () => [{ address: '::ffff:10.0.0.1', family: 6 }],
    });
    await expect(mapped.check('https://mapped.test/x')).rejects.toMatchObject({
      message: expect.stringMatching(/IPv4-mapped form of a private address \(10\.0\.0\.1\)/),
    });
  });

  test('a receiver that fails is tried again, up to three times', async () => {
    const statuses = [500, 503, 204];
    const flaky = await startReceiver((_req, res) => {
      res.writeHead(statuses.shift() ?? 500);
      res.end();
    });
    try {
      const policy = webhookPolicy({ allowHosts: `127.0.0.1:${flaky.port}`, ownPorts: [] });
      const logger = recordingLogger();
      expect(await deliverWebhook(`${flaky.url}/flaky`, { ok: 1 }, logger, policy)).toBe(true);
      expect(flaky.received).toHaveLength(3);
      expect(logger.lines).toEqual([
        expect.objectContaining({ level: 'info', msg: 'webhook delivered' }),
      ]);
    } finally {
      await flaky.close();
    }
  });

  test('a name that does not resolve is refused with a message saying so', async () => {
    const policy = webhookPolicy({
      allowHosts: '',
      ownPorts: [],
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
      },
    });
    await expect(policy.check('https://nowhere.test/x')).rejects.toMatchObject({
      code: 'WEBHOOK_REFUSED',
      retryable: false,
      message: expect.stringMatching(/"nowhere\.test" does not resolve/),
    });
  });
});

interface Line {
  level: string;
  msg: string;
  meta?: unknown;
}

function recordingLogger(): ChannelLogger & { lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (msg: string, meta?: unknown): void => {
      lines.push({ level, msg, meta });
    };
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
