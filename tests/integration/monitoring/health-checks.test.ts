import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  freeDiskCheck,
  logDirectoryCheck,
  modelEndpointCheck,
  modelKeyCheck,
  sentryCheck,
  serviceChecks,
} from '../../../src/monitoring/health-checks.js';
import { sandboxCheck } from '../../../src/agent/sandbox/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { hostConfig, startTestHost, type TestHost } from '../deploy/helpers.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';
import type { StepHost } from '../orchestrator/helpers.js';

// The shared readiness checks against real directories, filesystems, executables and HTTP servers,
// and the /readyz of a real orchestrator and a real host that use them.

let root: ReturnType<typeof tempDir>;
let modelServer: Server;
let modelUrl: string;

beforeAll(async () => {
  root = tempDir('atolye-health-checks-');
  // A model server that knows one key and answers /v1/models; anything else is 401.
  modelServer = createServer((req, res) => {
    const known = req.headers.authorization === 'Bearer good-key';
    res.writeHead(known && req.url === '/v1/models' ? 200 : 401, {
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ object: 'list', data: [] }));
  });
  await new Promise<void>((resolve) => modelServer.listen(0, '127.0.0.1', resolve));
  modelUrl = `http://127.0.0.1:${(modelServer.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise((resolve) => modelServer?.close(resolve));
  root?.cleanup();
});

/** A port that was just free: nothing answers there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('log directory', () => {
  test('a writable directory passes and keeps no probe file', async () => {
    const dir = path.join(root.dir, 'logs-ok');
    mkdirSync(dir);
    expect(await logDirectoryCheck(dir)).toEqual({ status: 'pass' });
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a log directory that cannot take a file fails, naming it', async () => {
    // A file where the directory should be: unwritable even for root, unlike a chmod.
    const dir = path.join(root.dir, 'logs-file');
    writeFileSync(dir, '');
    const check = await logDirectoryCheck(dir);
    expect(check.status).toBe('fail');
    expect(check.output).toContain(dir);
    expect(check.output).toContain('logging.dir');
    expect((await logDirectoryCheck(path.join(root.dir, 'missing'))).status).toBe('fail');
  });
});

test('free disk reports MiB on the real filesystem and warns or fails under the thresholds', async () => {
  const pass = await freeDiskCheck(path.join(root.dir, 'not-created-yet', 'data'));
  expect(pass).toMatchObject({ status: 'pass', observedUnit: 'MiB' });
  expect(pass.observedValue).toBeGreaterThan(0);

  const huge = Number.MAX_SAFE_INTEGER;
  const warn = await freeDiskCheck(root.dir, { warnBytes: huge, warnRatio: 0, failBytes: 0 });
  expect(warn.status).toBe('warn');
  // The same filesystem, read a moment later: other processes write to it meanwhile.
  expect(Math.abs(Number(warn.observedValue) - Number(pass.observedValue))).toBeLessThan(1024);
  expect(warn.output).toMatch(/MiB \(\d+\.\d%\) free/);
  const ratio = await freeDiskCheck(root.dir, { warnBytes: 0, warnRatio: 1.01, failBytes: 0 });
  expect(ratio.status).toBe('warn');
  const fail = await freeDiskCheck(root.dir, { warnBytes: 0, warnRatio: 0, failBytes: huge });
  expect(fail.status).toBe('fail');
});

test('sandbox: bwrap mode passes with bwrap and prlimit, fails without bwrap; mode none warns', () => {
  expect(sandboxCheck({ sandbox: { mode: 'bwrap' } })).toEqual({ status: 'pass' });
  expect(sandboxCheck({ sandbox: { mode: 'none' } }).status).toBe('warn');
  const saved = process.env.PATH;
  process.env.PATH = path.join(root.dir, 'empty-bin');
  try {
    const missing = sandboxCheck({ sandbox: { mode: 'bwrap' } });
    expect(missing.status).toBe('fail');
    expect(missing.output).toContain('bubblewrap');
  } finally {
    process.env.PATH = saved;
  }
});

describe('model endpoint', () => {
  test('answering /models with the key passes, with the latency', async () => {
    const check = await modelEndpointCheck({ baseUrl: modelUrl, apiKey: 'good-key' });
    expect(check).toMatchObject({ status: 'pass', observedUnit: 'ms' });
  });

  test('a refused key, a server that is down or too slow only warn', async () => {
    const refused = await modelEndpointCheck({ baseUrl: modelUrl, apiKey: 'bad-key' });
    expect(refused.status).toBe('warn');
    expect(refused.output).toContain('refused the key');

    const down = `http://127.0.0.1:${await closedPort()}/v1`;
    const unreachable = await modelEndpointCheck({ baseUrl: down, apiKey: 'good-key' });
    expect(unreachable.status).toBe('warn');
    expect(unreachable.output).toContain('unreachable');

    const slow = createServer(() => undefined);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1`;
      const started = Date.now();
      const timedOut = await modelEndpointCheck({ baseUrl: url, apiKey: 'k' }, 300);
      expect(timedOut.status).toBe('warn');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  test('without a key or a base URL there is nothing to probe', async () => {
    const check = await modelEndpointCheck({ baseUrl: '', apiKey: '' });
    expect(check.status).toBe('pass');
    expect(check.output).toContain('not probed');
  });
});

test('model key: a key passes; without one (even with a base URL) runs would fail, so it warns', () => {
  expect(modelKeyCheck({ apiKey: 'k' })).toEqual({ status: 'pass' });
  expect(modelKeyCheck({ apiKey: '' })).toEqual({
    status: 'warn',
    output:
      'no model key (model.apiKey, OPENAI_API_KEY): every run fails with MODEL_KEY_MISSING until one is set',
  });
});

test('sentry: a DSN passes; without one, production warns and other environments pass', () => {
  const sentry = (dsn: string) => ({ dsn });
  expect(
    sentryCheck({ env: 'production', sentry: sentry('https://k@o1.ingest.sentry.io/1') }),
  ).toEqual({
    status: 'pass',
  });
  expect(sentryCheck({ env: 'production', sentry: sentry('') }).status).toBe('warn');
  expect(sentryCheck({ env: 'testing', sentry: sentry('') })).toMatchObject({
    status: 'pass',
    output: expect.stringContaining('sentry.dsn'),
  });
});

test('serviceChecks keys every check by component:measurement', async () => {
  const dir = path.join(root.dir, 'service');
  const config = hostConfig(path.join(dir, 'data'), path.join(dir, 'logs'), {
    'model.baseUrl': modelUrl,
    'model.apiKey': 'good-key',
  });
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const orchestrator = await serviceChecks(config)();
  expect(Object.keys(orchestrator)).toEqual([
    'configuration:valid',
    'logs:writable',
    'disk:free',
    'sentry:configured',
  ]);
  const host = await serviceChecks(config, {
    own: { 'sandbox:available': () => sandboxCheck(config) },
    model: true,
  })();
  expect(Object.keys(host)).toEqual([
    'configuration:valid',
    'logs:writable',
    'disk:free',
    'sandbox:available',
    'model:configured',
    'model:reachable',
    'sentry:configured',
  ]);
  expect(Object.values(host).map((check) => check.status)).toEqual(Array(7).fill('pass'));
});

describe('readiness of the real services', () => {
  let api: TestApi | undefined;
  let host: TestHost | undefined;

  afterAll(async () => {
    await api?.stop();
    await host?.stop();
  });

  test('the orchestrator turns 503 while its log directory is unwritable, and ready again after', async () => {
    const base = path.join(root.dir, 'orchestrator');
    // Readiness only asks the worker host's /healthz: a stand-in that answers it will do.
    const fakeHost = createServer((_req, res) => res.end('{"status":"pass"}'));
    await new Promise<void>((resolve) => fakeHost.listen(0, '127.0.0.1', resolve));
    try {
      const hostUrl = `http://127.0.0.1:${(fakeHost.address() as AddressInfo).port}`;
      api = await startTestApi(base, { url: hostUrl } as Pick<StepHost, 'url'> as StepHost);
      const ready = await fetch(`${api.url}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as {
        status: string;
        checks: Record<string, { status: string; output?: string }[]>;
      };
      expect(body.status).toBe('pass');
      expect(Object.keys(body.checks)).toEqual(
        expect.arrayContaining([
          'configuration:valid',
          'logs:writable',
          'disk:free',
          'sentry:configured',
          'store:responsive',
          'host:reachable',
        ]),
      );

      // The open log files move away with their directory; a file takes the directory's place.
      const moved = `${api.logDir}-moved`;
      renameSync(api.logDir, moved);
      writeFileSync(api.logDir, '');
      const notReady = await fetch(`${api.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(notReady.headers.get('content-type')).toBe('application/health+json');
      const failing = (await notReady.json()) as typeof body;
      expect(failing.status).toBe('fail');
      expect(failing.checks['logs:writable']?.[0]).toMatchObject({ status: 'fail' });
      expect(failing.checks['store:responsive']?.[0]?.status).toBe('pass');

      rmSync(api.logDir);
      renameSync(moved, api.logDir);
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    } finally {
      await api?.stop();
      api = undefined;
      await new Promise((resolve) => fakeHost.close(resolve));
    }
  }, 30_000);

  test('the host reports its own checks; a model server that is down warns, still ready', async () => {
    const base = path.join(root.dir, 'host');
    const config = hostConfig(path.join(base, 'data'), path.join(base, 'logs'), {
      'model.baseUrl': `http://127.0.0.1:${await closedPort()}/v1`,
      'model.apiKey': 'good-key',
    });
    host = await startTestHost(config);
    const response = await fetch(`${host.url}/readyz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      status: string;
      checks: Record<string, { status: string; componentType: string; output?: string }[]>;
    };
    expect(body.status).toBe('warn');
    expect(body.checks['model:reachable']?.[0]).toMatchObject({
      status: 'warn',
      componentType: 'system',
      output: expect.stringContaining('unreachable'),
    });
    for (const name of ['configuration:valid', 'logs:writable', 'disk:free', 'sandbox:available']) {
      expect(body.checks[name]?.[0]?.status).toBe('pass');
    }
  }, 30_000);
});
