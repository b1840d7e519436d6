import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from './api-helpers.js';
import { startStepHost, type StepHost } from './helpers.js';

// The run API over plain HTTP (no SDK): access, limits, malformed input, the API description and
// the user_interactions log, against the real orchestrator in front of a real worker host.

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
/** Allows 3 requests a minute per key. */
let limited: TestApi;
/** Accepts bodies up to 2048 bytes. */
let small: TestApi;

beforeAll(async () => {
  root = tempDir('atolye-api-http-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(path.join(root.dir, 'main'), stepHost);
  limited = await startTestApi(path.join(root.dir, 'limited'), stepHost, {
    'api.rateLimitPerMinute': '3',
  });
  small = await startTestApi(path.join(root.dir, 'small'), stepHost, {
    'api.bodyLimitBytes': '2048',
  });
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await limited?.stop();
  await small?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

const json = { 'content-type': 'application/json' };

/** Every request id sent to each API, and every key a test made: what the logs are checked for. */
const sent = new Map<TestApi, string[]>();
const madeKeys: string[] = [];

interface Call extends RequestInit {
  /** The API key to send as x-api-key; null sends none. Defaults to the test's key. */
  key?: string | null;
  requestId?: string;
}

/** fetch against `target` with an x-request-id of our own, so its log line can be found. */
async function request(target: TestApi, route: string, call: Call = {}): Promise<Response> {
  const { key = target.key, requestId = randomUUID(), headers, ...init } = call;
  const list = sent.get(target) ?? [];
  list.push(requestId);
  sent.set(target, list);
  return fetch(`${target.url}${route}`, {
    ...init,
    headers: {
      'x-request-id': requestId,
      ...(key === null ? {} : { 'x-api-key': key }),
      ...(headers as Record<string, string> | undefined),
    },
  });
}

interface InteractionLine {
  requestId: string;
  [field: string]: unknown;
}

/** The request lines (not run outcomes) of `target` matching `wanted`, once they reached disk. */
async function interactionLines(
  target: TestApi,
  wanted: (line: InteractionLine) => boolean,
  count = 1,
): Promise<InteractionLine[]> {
  const file = path.join(target.logDir, 'user_interactions.log');
  let lines: InteractionLine[] = [];
  for (let i = 0; i < 100; i += 1) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    lines = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as InteractionLine)
      .filter((line) => typeof line.method === 'string' && wanted(line));
    if (lines.length >= count) return lines;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return lines;
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { error: { code: string; message: string } };
  return body.error;
}

async function newThread(target: TestApi = api): Promise<string> {
  const response = await request(target, '/threads', { method: 'POST', headers: json, body: '{}' });
  expect(response.status).toBe(200);
  return ((await response.json()) as { thread_id: string }).thread_id;
}

describe('access', () => {
  test('a missing key is 401 with a JSON error that says how to send one', async () => {
    const response = await request(api, '/threads/search', { method: 'POST', key: null });
    expect(response.status).toBe(401);
    const error = await errorOf(response);
    expect(error.code).toBe('API_KEY_MISSING');
    expect(error.message).toContain('x-api-key');
    // A non-Bearer Authorization header is no key either.
    const basic = await request(api, '/threads/search', {
      method: 'POST',
      key: null,
      headers: { authorization: `Basic ${Buffer.from(`u:${api.key}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
  });

  test('an unknown key is 401', async () => {
    for (const headers of [
      { 'x-api-key': 'atolye_not-a-real-key' },
      { authorization: 'Bearer atolye_not-a-real-key' },
    ] as Record<string, string>[]) {
      const response = await request(api, '/threads/search', {
        method: 'POST',
        key: null,
        headers,
      });
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe('API_KEY_INVALID');
    }
  });

  test('a revoked key is refused from the next request on', async () => {
    const { key } = await api.orchestrator.keys.create('to-revoke');
    madeKeys.push(key);
    const before = await request(api, '/threads/search', { method: 'POST', key });
    expect(before.status).toBe(200);
    expect(await api.orchestrator.keys.revoke('to-revoke')).toBe(true);
    const after = await request(api, '/threads/search', { method: 'POST', key });
    expect(after.status).toBe(401);
    expect((await errorOf(after)).code).toBe('API_KEY_INVALID');
  });

  test('the key is accepted as Authorization: Bearer and as x-api-key', async () => {
    const threadId = await newThread();
    const bearer = await request(api, `/threads/${threadId}`, {
      key: null,
      headers: { authorization: `Bearer ${api.key}` },
    });
    const header = await request(api, `/threads/${threadId}`, {
      key: null,
      headers: { 'x-api-key': api.key },
    });
    expect([bearer.status, header.status]).toEqual([200, 200]);
    expect(((await header.json()) as { thread_id: string }).thread_id).toBe(threadId);
  });

  test('past the per-key rate limit the API answers 429 with Retry-After; other keys go on', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push((await request(limited, '/threads/search', { method: 'POST' })).status);
    }
    expect(statuses).toEqual([200, 200, 200]);
    const fourth = await request(limited, '/threads/search', { method: 'POST' });
    expect(fourth.status).toBe(429);
    const retryAfter = Number(fourth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const error = await errorOf(fourth);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toContain('api.rateLimitPerMinute');

    const { key } = await limited.orchestrator.keys.create('other');
    madeKeys.push(key);
    expect((await request(limited, '/threads/search', { method: 'POST', key })).status).toBe(200);
  });

  test('/healthz and /readyz answer without a key, as application/health+json', async () => {
    for (const route of ['/healthz', '/readyz']) {
      const response = await request(api, route, { key: null });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/health+json');
      expect(await response.json()).toMatchObject({ status: 'pass' });
    }
  });

  test('/favicon.ico, which browsers ask for on every page, is no 401', async () => {
    const response = await request(api, '/favicon.ico', { key: null });
    expect(response.status).toBe(204);
  });
});

describe('request bodies', () => {
  const run = (threadId: string, body: string, headers: Record<string, string> = json) =>
    request(api, `/threads/${threadId}/runs`, { method: 'POST', headers, body });

  test('a body over api.bodyLimitBytes is 413, with or without Content-Length', async () => {
    const threadId = await newThread(small);
    const task = 'x'.repeat(3000);
    const body = JSON.stringify({ assistant_id: 'atolye', input: { task } });
    const sized = await request(small, `/threads/${threadId}/runs`, {
      method: 'POST',
      headers: json,
      body,
    });
    expect(sized.status).toBe(413);
    expect((await errorOf(sized)).code).toBe('BODY_TOO_LARGE');

    // Chunked: no Content-Length to check up front, the limit must count the bytes.
    const chunked = await request(small, `/threads/${threadId}/runs`, {
      method: 'POST',
      headers: json,
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const runs = await request(small, `/threads/${threadId}/runs`);
    expect(await runs.json()).toEqual([]);
  });

  test('a body that is not JSON is 400', async () => {
    const threadId = await newThread();
    for (const body of ['{"assistant_id": "atolye", "input": {', 'not json', '']) {
      const response = await run(threadId, body);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).message).toMatch(/JSON/i);
    }
  });

  test('wrong types and missing fields are 400 naming each bad field', async () => {
    const threadId = await newThread();
    const cases: [object, RegExp[]][] = [
      [{ assistant_id: 'atolye', input: { task: 42 } }, [/input\.task: /]],
      [
        { assistant_id: 'atolye', input: { task: 'x' }, multitask_strategy: 'sometimes' },
        [/multitask_strategy: use "reject"/],
      ],
      [{ assistant_id: 'atolye', input: { task: 'x' }, webhook: 'ftp://x' }, [/webhook: /]],
      [{ assistant_id: 'atolye', input: 'x' }, [/input: /]],
      [{ input: { task: 'x' } }, [/assistant_id: /]],
      // Every bad field at once, not only the first.
      [
        { assistant_id: 42, input: { task: '' }, webhook: 'nope' },
        [/assistant_id: name the assistant/, /input\.task: describe the task/, /webhook: /],
      ],
      [[1, 2, 3], [/invalid json/]],
    ];
    for (const [body, fields] of cases) {
      const response = await run(threadId, JSON.stringify(body));
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe('INVALID_REQUEST');
      for (const field of fields) expect(error.message).toMatch(field);
    }
    const runs = await request(api, `/threads/${threadId}/runs`);
    expect(await runs.json()).toEqual([]);
  });

  test('a deeply nested body under the size limit is no 5xx', async () => {
    const threadId = await newThread();
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const bodies = [
      `{"assistant_id":"atolye","input":{"task":${deep}}}`,
      `{"assistant_id":"atolye","input":${deep}}`,
      deep,
    ];
    for (const body of bodies) {
      const response = await run(threadId, body);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe('INVALID_REQUEST');
    }
    // An unknown field is refused by name, however deep.
    const thread = await request(api, '/threads', {
      method: 'POST',
      headers: json,
      body: `{"extra":${deep}}`,
    });
    expect(thread.status).toBe(400);
    expect((await errorOf(thread)).message).toContain('"extra" not supported');
  });
  test('deeply nested metadata under the size limit is a 400, not a 500', async () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const thread = await request(api, '/threads', {
      method: 'POST',
      headers: json,
      body: `{"metadata":{"deep":${deep}}}`,
    });
    expect(thread.status).toBe(400);
    const threadId = await newThread();
    const created = await run(
      threadId,
      `{"assistant_id":"atolye","input":{"task":"x"},"metadata":{"deep":${deep}}}`,
    );
    expect(created.status).toBe(400);
  });

  test('a body that is not declared JSON is refused with a 4xx', async () => {
    const threadId = await newThread();
    const body = JSON.stringify({ assistant_id: 'atolye', input: { task: 'x' } });
    for (const headers of [{ 'content-type': 'text/plain' }, {}] as Record<string, string>[]) {
      const response = await run(threadId, body, headers);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      await errorOf(response);
    }
  });
});

describe('not found', () => {
  test('an unknown thread, run or route is 404 with a JSON error', async () => {
    const threadId = await newThread();
    const cases: [string, string][] = [
      [`/threads/${randomUUID()}`, 'THREAD_NOT_FOUND'],
      [`/threads/${randomUUID()}/runs`, 'THREAD_NOT_FOUND'],
      [`/threads/${threadId}/runs/${randomUUID()}`, 'RUN_NOT_FOUND'],
      [`/threads/${randomUUID()}/runs/${randomUUID()}`, '(THREAD|RUN)_NOT_FOUND'],
      ['/no/such/route', 'NOT_FOUND'],
    ];
    for (const [route, code] of cases) {
      const response = await request(api, route);
      expect(response.status).toBe(404);
      const error = await errorOf(response);
      expect([route, error.code]).toEqual([route, expect.stringMatching(new RegExp(`^${code}$`))]);
    }
  });
});

describe('the API description', () => {
  test('GET /openapi.json is open and names the paths and schemas', async () => {
    const response = await request(api, '/openapi.json', { key: null });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/threads',
        '/threads/{thread_id}/runs',
        '/threads/{thread_id}/runs/stream',
        '/assistants/search',
        '/threads/{thread_id}/files/{path}',
      ]),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Run', 'Thread', 'RunCreate', 'Error']),
    );
  });

  test('GET /docs is served from local assets only', async () => {
    const response = await request(api, '/docs', { key: null });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/docs\//);
      const loaded = await request(api, asset, { key: null });
      expect(loaded.status).toBe(200);
      const type = asset.endsWith('.css') ? /^text\/css/ : /^text\/javascript/;
      expect(loaded.headers.get('content-type')).toMatch(type);
      expect((await loaded.text()).length).toBeGreaterThan(1000);
    }
    expect((await request(api, '/docs/package.json', { key: null })).status).toBe(404);
  });
});

describe('the user_interactions log', () => {
  test('a request line names method, route, status, duration, key and thread', async () => {
    const threadId = await newThread();
    const requestId = randomUUID();
    const response = await request(api, `/threads/${threadId}`, { requestId });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const [line] = await interactionLines(api, (line) => line.requestId === requestId);
    expect(line).toMatchObject({
      channel: 'user_interactions',
      method: 'GET',
      route: '/threads/:thread_id',
      path: `/threads/${threadId}`,
      status: 200,
      durationMs: expect.any(Number),
      key: 'tests',
      threadId,
    });
  });

  test('every request wrote exactly one line, and no key reached any log file', async () => {
    expect(sent.get(api)?.length).toBeGreaterThan(20);
    for (const [target, ids] of sent) {
      const lines = await interactionLines(
        target,
        (line) => ids.includes(line.requestId),
        ids.length,
      );
      const perId = new Map<string, number>();
      for (const line of lines) perId.set(line.requestId, (perId.get(line.requestId) ?? 0) + 1);
      expect(ids.filter((id) => perId.get(id) !== 1)).toEqual([]);
      for (const line of lines) {
        expect(line).toMatchObject({ method: expect.any(String), status: expect.any(Number) });
      }

      for (const file of logFiles(target.logDir)) {
        const text = readFileSync(file, 'utf8');
        for (const key of [target.key, ...madeKeys]) expect(text.includes(key)).toBe(false);
      }
    }
  });
});

function logFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile());
}

describe('a server fault', () => {
  test('is one error line with its cause, and its request line a warning (one Sentry event, not two)', async () => {
    const threadId = await newThread(small);
    // The executor fails under the running API: reading the state is a fault, not a refusal.
    const executor = small.orchestrator.executor;
    const threadState = executor.threadState.bind(executor);
    executor.threadState = () => Promise.reject(new Error('the checkpoint store failed'));
    const requestId = randomUUID();
    let response: Response;
    try {
      response = await request(small, `/threads/${threadId}/state`, { requestId });
    } finally {
      executor.threadState = threadState;
    }
    expect(response.status).toBe(500);
    expect((await errorOf(response)).code).toBe('INTERNAL');
    const [line] = await interactionLines(small, (candidate) => candidate.requestId === requestId);
    expect(line).toMatchObject({ level: 'warn', status: 500, route: '/threads/:thread_id/state' });
    const errors = readFileSync(path.join(small.logDir, 'errors.log'), 'utf8')
      .split('\n')
      .filter((text) => text.includes(requestId))
      .map((text) => JSON.parse(text) as { level: string; msg: string });
    expect(errors).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'request failed: the checkpoint store failed',
      }),
    ]);
  });
});
