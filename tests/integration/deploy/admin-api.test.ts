import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PoolStats } from '../../../src/runtime/host/index.js';
import type { DeploymentRecord } from '../../../src/store/deployments.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  admin,
  build,
  call,
  copyBuild,
  deploy,
  deployOk,
  hostConfig,
  startTestHost,
  versionOf,
  writeFixtures,
  type Build,
  type TestHost,
} from './helpers.js';

interface ErrorBody {
  error: { code: string; message: string; retryable: boolean };
}

let work: ReturnType<typeof tempDir>;
let v1: Build;
let host: TestHost;

beforeAll(async () => {
  work = tempDir('atolye-deploy-admin-');
  const functionsDir = path.join(work.dir, 'functions');
  writeFixtures(functionsDir, { alpha: { label: 'alpha v1' }, beta: { label: 'beta v1' } });
  v1 = await build(functionsDir, path.join(work.dir, 'dist-v1'));
  host = await startTestHost(hostConfig(path.join(work.dir, 'data'), path.join(work.dir, 'logs')));
});

afterAll(async () => {
  await host.stop();
  work.cleanup();
});

const ROUTES = [
  ['GET', '/admin/status'],
  ['GET', '/admin/deployments'],
  ['POST', '/admin/deployments'],
  ['POST', '/admin/rollback'],
  ['POST', '/admin/shutdown'],
] as const;

describe('admin API authorisation', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong token', 'not-the-admin-token'],
    ['an empty bearer token', ''],
    ['a token that only starts like the right one', 'test-admin-token-and-more'],
  ])('answers every admin route with 401 JSON for %s, and does nothing', async (_case, token) => {
    for (const [method, route] of ROUTES) {
      const reply = await admin<ErrorBody>(host, method, route, {
        token,
        body: method === 'POST' ? { manifest: v1.manifest, distDir: v1.distDir } : undefined,
      });
      expect([route, reply.status]).toEqual([route, 401]);
      expect(reply.contentType).toMatch(/^application\/json/);
      expect(reply.body.error).toEqual({
        code: 'ADMIN_UNAUTHORIZED',
        message: expect.stringContaining('Authorization: Bearer'),
        retryable: false,
      });
    }
    // Neither the deploy nor the shutdown happened.
    expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
    expect(host.host.registry.names()).toEqual([]);
  });

  it('takes another scheme than Bearer as no token', async () => {
    const reply = await fetch(`${host.url}/admin/status`, {
      headers: { authorization: `Basic ${host.config.security.adminToken}` },
    });
    expect(reply.status).toBe(401);
  });

  it('accepts the scheme in any case, as HTTP auth schemes are case-insensitive', async () => {
    const reply = await fetch(`${host.url}/admin/status`, {
      headers: { authorization: `bearer ${host.config.security.adminToken}` },
    });
    expect(reply.status).toBe(200);
  });

  it('answers 503 ADMIN_DISABLED on every admin route when no admin token is configured', async () => {
    const closed = await startTestHost(
      hostConfig(path.join(work.dir, 'data-noadmin'), path.join(work.dir, 'logs-noadmin'), {
        'security.adminToken': '',
      }),
    );
    try {
      for (const token of [null, '', 'anything']) {
        for (const [method, route] of ROUTES) {
          const reply = await admin<ErrorBody>(closed, method, route, { token });
          expect([route, reply.status, reply.body.error.code]).toEqual([
            route,
            503,
            'ADMIN_DISABLED',
          ]);
          expect(reply.body.error.message).toContain('security.adminToken');
        }
      }
      // Function calls do not depend on the admin token.
      expect((await fetch(`${closed.url}/healthz`)).status).toBe(200);
    } finally {
      await closed.stop();
    }
  });
});

describe('bad deploy requests', () => {
  const invalid = (
    mutate: (manifest: Record<string, unknown> & { functions: Record<string, unknown>[] }) => void,
  ) => {
    const manifest = structuredClone(v1.manifest) as unknown as Record<string, unknown> & {
      functions: Record<string, unknown>[];
    };
    mutate(manifest);
    return manifest;
  };

  it.each<[string, number, string, () => { body?: unknown; rawBody?: string }, RegExp]>([
    [
      'a body that is not JSON',
      400,
      'BODY_INVALID_JSON',
      () => ({ rawBody: '{"manifest": ' }),
      /not JSON/,
    ],
    ['a JSON array', 400, 'BODY_INVALID_JSON', () => ({ rawBody: '[]' }), /JSON object/],
    ['JSON null', 400, 'BODY_INVALID_JSON', () => ({ rawBody: 'null' }), /JSON object/],
    ['an empty body', 400, 'BODY_INVALID_JSON', () => ({ rawBody: '' }), /not JSON/],
    [
      'no distDir',
      400,
      'DEPLOY_REQUEST_INVALID',
      () => ({ body: { manifest: v1.manifest } }),
      /distDir/,
    ],
    [
      'a distDir that is not a string',
      400,
      'DEPLOY_REQUEST_INVALID',
      () => ({ body: { manifest: v1.manifest, distDir: 42 } }),
      /distDir/,
    ],
    [
      'an empty distDir',
      400,
      'DEPLOY_REQUEST_INVALID',
      () => ({ body: { manifest: v1.manifest, distDir: '' } }),
      /distDir/,
    ],
    // Relative to what? The host's working directory is not the caller's.
    [
      'a relative distDir',
      400,
      'DEPLOY_REQUEST_INVALID',
      () => ({ body: { manifest: v1.manifest, distDir: 'dist' } }),
      /absolute path/,
    ],
    [
      'no manifest',
      400,
      'DEPLOY_REQUEST_INVALID',
      () => ({ body: { distDir: v1.distDir } }),
      /manifest/,
    ],
    [
      'a manifest that is not an object',
      400,
      'MANIFEST_INVALID',
      () => ({ body: { manifest: 'manifest.json', distDir: v1.distDir } }),
      /manifest is invalid/,
    ],
  ])('refuses %s with %i %s', async (_case, status, code, request, message) => {
    const reply = await admin<ErrorBody>(host, 'POST', '/admin/deployments', request());
    expect(reply.status).toBe(status);
    expect(reply.body.error.code).toBe(code);
    expect(reply.body.error.message).toMatch(message);
  });

  it.each<
    [
      string,
      (manifest: Record<string, unknown> & { functions: Record<string, unknown>[] }) => void,
      RegExp,
    ]
  >([
    [
      'a bad function version',
      (m) => void ((m.functions[0] as Record<string, unknown>).version = 'latest'),
      /functions\.0\.version/,
    ],
    [
      'a missing function name',
      (m) => void delete (m.functions[1] as Record<string, unknown>).name,
      /functions\.1\.name/,
    ],
    [
      'an entry outside the build folder',
      (m) => void ((m.functions[0] as Record<string, unknown>).entry = '../../etc/evil.mjs'),
      /functions\.0\.entry: entry must be a forward-slash path inside the build folder/,
    ],
    ['an unknown key', (m) => void (m.surprise = true), /surprise/],
    [
      'negative limits',
      (m) => void ((m.functions[0] as { limits: Record<string, unknown> }).limits.timeoutMs = -1),
      /functions\.0\.limits\.timeoutMs/,
    ],
    [
      'a duplicated function',
      (m) => void m.functions.push(m.functions[0] as Record<string, unknown>),
      /functions: function names must be unique/,
    ],
  ])(
    'refuses an invalid manifest (%s) with 400 MANIFEST_INVALID naming the field',
    async (_case, mutate, field) => {
      const reply = await admin<ErrorBody>(host, 'POST', '/admin/deployments', {
        body: { manifest: invalid(mutate), distDir: v1.distDir },
      });
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('MANIFEST_INVALID');
      expect(reply.body.error.message).toMatch(field);
    },
  );

  it('refuses a manifest without functions rather than stopping every function', async () => {
    const reply = await admin<ErrorBody>(host, 'POST', '/admin/deployments', {
      body: { manifest: invalid((m) => void m.functions.splice(0)), distDir: v1.distDir },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('MANIFEST_EMPTY');
  });

  it('refuses a manifest whose bundle is missing with 400 DEPLOY_BUNDLE_MISSING', async () => {
    const empty = path.join(work.dir, 'empty-dist');
    mkdirSync(empty, { recursive: true });
    const reply = await deploy(host, { manifest: v1.manifest, distDir: empty });
    expect(reply.status).toBe(400);
    const { error } = reply.body as unknown as ErrorBody;
    expect(error.code).toBe('DEPLOY_BUNDLE_MISSING');
    expect(error.message).toContain(path.join(empty, 'functions/alpha/index.mjs'));
  });

  it('refuses a bundle whose bytes are not the manifest version with 400 DEPLOY_BUNDLE_MISMATCH', async () => {
    const tampered = copyBuild(v1, path.join(work.dir, 'dist-tampered'));
    appendFileSync(
      path.join(tampered.distDir, 'functions/beta/index.mjs'),
      '\n// edited after the build\n',
    );
    const reply = await deploy(host, tampered);
    expect(reply.status).toBe(400);
    const { error } = reply.body as unknown as ErrorBody;
    expect(error.code).toBe('DEPLOY_BUNDLE_MISMATCH');
    expect(error.message).toContain(`bundle of beta`);
    expect(error.message).toContain(`is not version ${versionOf(v1, 'beta')}`);
    // Nothing of that deploy went live or into the history.
    expect(host.host.registry.names()).toEqual([]);
    const history = await admin<{ deployments: unknown[] }>(host, 'GET', '/admin/deployments');
    expect(history.body.deployments).toEqual([]);
  });

  it('answers 413 for a deploy body over 1 MB, before reading it whole', async () => {
    const reply = await admin<ErrorBody>(host, 'POST', '/admin/deployments', {
      body: { manifest: v1.manifest, distDir: v1.distDir, padding: 'x'.repeat(1024 * 1024) },
    });
    expect(reply.status).toBe(413);
    expect(reply.body.error.code).toBe('BODY_TOO_LARGE');
  });
});

describe('status and history', () => {
  it('describes the host, its functions and the deployment history', async () => {
    const before = await admin<{
      host: Record<string, unknown>;
      functions: PoolStats[];
      services: unknown[];
    }>(host, 'GET', '/admin/status');
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      host: {
        pid: process.pid,
        url: host.url,
        env: 'testing',
        release: expect.any(String),
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        uptimeS: expect.any(Number),
      },
      functions: [],
      services: [],
    });

    const deployed = await deployOk(host, v1);
    await call(host, 'alpha');
    await call(host, 'alpha');

    const status = await admin<{ host: Record<string, unknown>; functions: PoolStats[] }>(
      host,
      'GET',
      '/admin/status',
    );
    expect(status.body.host.deployment).toBe(deployed.deploymentId);
    const [alpha, beta] = status.body.functions;
    expect(alpha).toMatchObject({
      name: 'alpha',
      version: versionOf(v1, 'alpha'),
      draining: false,
      health: { status: 'pass' },
      workers: { total: 1, idle: 1, busy: 0, starting: 0, stopping: 0 },
      queued: 0,
      inFlight: 0,
      invocations: 2,
      starts: 1,
      crashes: 0,
    });
    expect(alpha?.pids).toHaveLength(1);
    expect(beta).toMatchObject({ name: 'beta', version: versionOf(v1, 'beta'), invocations: 0 });

    const history = await admin<{ deployments: DeploymentRecord[] }>(
      host,
      'GET',
      '/admin/deployments',
    );
    expect(history.body.deployments).toEqual([
      {
        id: deployed.deploymentId,
        version: v1.manifest.version,
        manifest: v1.manifest,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        status: 'active',
        message: 'deploy',
      },
    ]);
  });

  it('POST /admin/shutdown replies 202, then stops the host and removes its state file', async () => {
    const dataDir = path.join(work.dir, 'data-shutdown');
    const doomed = await startTestHost(hostConfig(dataDir, path.join(work.dir, 'logs-shutdown')));
    try {
      await deployOk(doomed, v1);
      const worker = (await call(doomed, 'alpha')).pid;
      expect(existsSync(path.join(dataDir, 'host.json'))).toBe(true);
      const reply = await admin(doomed, 'POST', '/admin/shutdown');
      expect(reply.status).toBe(202);
      expect(reply.body).toEqual({ status: 'stopping' });
      await doomed.host.closed;
      expect(existsSync(path.join(dataDir, 'host.json'))).toBe(false);
      await expect(fetch(`${doomed.url}/healthz`)).rejects.toThrow();
      expect(() => process.kill(worker, 0)).toThrow();
    } finally {
      await doomed.stop();
    }
  });
});
