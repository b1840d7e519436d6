import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { eventually } from '../../helpers/eventually.js';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';
import { startStepHost, type StepHost } from '../orchestrator/helpers.js';
import { startApi, startReceiver } from '../security/http-helpers.js';

// The dashboard's HTTP side: the page and its bundle, and the reads only the dashboard makes
// (system, alerts, log tails), against a real orchestrator in front of a real worker host.

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;

beforeAll(async () => {
  root = tempDir('atolye-dashboard-routes-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(root.dir, stepHost, { 'alerts.intervalMs': '0' });
  // The alerts' first sample: the start of the window the last test's alert is measured over.
  await api.orchestrator.alerting.tick();
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

function get(route: string, key: string | null = api.key, headers: Record<string, string> = {}) {
  return fetch(`${api.url}${route}`, {
    headers: { ...(key ? { 'x-api-key': key } : {}), ...headers },
  });
}

async function finishedRun(task: string): Promise<{ threadId: string; runId: string }> {
  const headers = { 'content-type': 'application/json', 'x-api-key': api.key };
  const thread = (await (
    await fetch(`${api.url}/threads`, { method: 'POST', headers, body: '{}' })
  ).json()) as {
    thread_id: string;
  };
  const created = await fetch(`${api.url}/threads/${thread.thread_id}/runs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ assistant_id: 'atolye', input: { task } }),
  });
  const run = (await created.json()) as { run_id: string };
  await (await get(`/threads/${thread.thread_id}/runs/${run.run_id}/join`)).json();
  return { threadId: thread.thread_id, runId: run.run_id };
}

type LogAnswer = { channel: string; lines: { runId?: string; msg: string }[] };

/** Log lines are written in batches: asks until the run's last line (its outcome) is there. */
async function logsOf(
  channel: string,
  query: string,
  until: (answer: LogAnswer) => boolean,
): Promise<LogAnswer> {
  return eventually(
    `the ${channel} lines of ${query}`,
    async () => {
      const answer = (await (
        await get(`/dashboard/api/logs/${channel}?${query}`)
      ).json()) as LogAnswer;
      return until(answer) && answer;
    },
    { intervalMs: 100 },
  );
}

test('/ serves the page without a key, with nothing loaded from another origin', async () => {
  const response = await get('/', null);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  const html = await response.text();
  expect(html).toContain('<script type="module" src="/dashboard/main.js"></script>');
  // The icon is in the page: a browser asks no keyed /favicon.ico, so no 401 on every page.
  expect(html).toMatch(/<link\s+rel="icon"\s+href="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
  expect(html).not.toMatch(/(https?:)?\/\/[a-z0-9]/i);

  const sheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map(
    ([, href]) => href,
  );
  expect(sheets).toEqual(['/dashboard/base.css', '/dashboard/views.css']);
  const styles: string[] = [];
  for (const sheet of sheets) {
    const css = await get(sheet ?? '', null);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    styles.push(await css.text());
  }
  expect(styles.join('\n')).toContain('@media');
  // No web fonts, no images from elsewhere, no imports.
  expect(styles.join('\n')).not.toMatch(/url\(|@import|@font-face|https?:/);
});

test('the bundle is built in-process and served as JavaScript, gzipped when asked', async () => {
  const response = await get('/dashboard/main.js', null);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
  const script = await response.text();
  // The SDK is bundled in: the page imports nothing at run time.
  expect(script.length).toBeGreaterThan(50_000);
  expect(script).not.toMatch(/^import\b|\bimport\s*["']|from\s*["']@langchain/m);
  expect(script).toContain('/dashboard/api/logs/');

  // Node's fetch asks for gzip and decodes it; the header shows what travelled.
  const gzipped = await get('/dashboard/main.js', null, { 'accept-encoding': 'gzip' });
  expect(gzipped.headers.get('content-encoding')).toBe('gzip');
  expect(await gzipped.text()).toBe(script);
});

test('the dashboard API needs a key', async () => {
  for (const route of [
    '/dashboard/api/system',
    '/dashboard/api/alerts',
    '/dashboard/api/logs/system',
  ]) {
    const response = await get(route, null);
    expect(response.status).toBe(401);
    expect(await get(route, 'not-a-key')).toHaveProperty('status', 401);
  }
});

test('logs: the tail of a channel, one run only, at most `limit` lines', async () => {
  const first = await finishedRun('write notes first');
  const second = await finishedRun('write notes second');

  const ofFirst = await logsOf('agent', `run_id=${first.runId}`, (answer) =>
    answer.lines.some((line) => line.msg.startsWith('run ended')),
  );
  expect(ofFirst.channel).toBe('agent');
  expect(ofFirst.lines.map((line) => line.msg)).toEqual(
    expect.arrayContaining(['run started', 'step plan finished', 'run ended: success']),
  );
  expect(ofFirst.lines.every((line) => line.runId === first.runId)).toBe(true);

  const all = await logsOf('agent', 'limit=1000', (answer) =>
    answer.lines.some((line) => line.runId === second.runId && line.msg.startsWith('run ended')),
  );
  expect(new Set(all.lines.map((line) => line.runId))).toEqual(
    new Set([first.runId, second.runId]),
  );

  const last = (await (await get('/dashboard/api/logs/agent?limit=2')).json()) as LogAnswer;
  expect(last.lines).toEqual(all.lines.slice(-2));

  const interactions = await logsOf('user_interactions', `run_id=${second.runId}`, (answer) =>
    answer.lines.some((line) => line.msg === 'run success'),
  );
  expect(interactions.lines.map((line) => line.msg)).toContain('run success');
});

test('logs: an unknown channel or a bad limit is a 400 naming the problem', async () => {
  const channel = await get('/dashboard/api/logs/secrets');
  expect(channel.status).toBe(400);
  const body = (await channel.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('INVALID_REQUEST');
  expect(body.error.message).toContain('system, agent, user_interactions, errors');

  const limit = await get('/dashboard/api/logs/system?limit=0');
  expect(limit.status).toBe(400);
  expect(((await limit.json()) as { error: { message: string } }).error.message).toContain('limit');
});

test("system: both services' readiness and the host's numbers; no alerts while none fire", async () => {
  await finishedRun('write notes for the metrics');
  const system = (await (await get('/dashboard/api/system', api.adminKey)).json()) as {
    orchestrator: {
      httpStatus: number;
      health: { status: string; checks: Record<string, unknown> };
    };
    host: { url: string; httpStatus: number; health: { status: string } };
    metrics: {
      invocations: number;
      errors: number;
      workers: number;
      workersByFunction: Record<string, number>;
    };
  };
  expect(system.orchestrator.health.checks).toHaveProperty(['host:reachable']);
  expect(system.orchestrator.httpStatus).toBe(200);
  expect(system.host).toMatchObject({ url: stepHost.url, httpStatus: 200 });
  expect(['pass', 'warn']).toContain(system.host.health.status);
  // plan, act, tools, review, act, review, finalize at least.
  expect(system.metrics.invocations).toBeGreaterThanOrEqual(5);
  expect(system.metrics.errors).toBe(0);
  expect(system.metrics.workers).toBeGreaterThan(0);
  expect(Object.keys(system.metrics.workersByFunction)).toEqual(
    expect.arrayContaining(['plan', 'act']),
  );

  const alerts = await get('/dashboard/api/alerts', api.adminKey);
  expect(alerts.status).toBe(200);
  // Nothing failed on this host: the embedded evaluator has nothing firing to list.
  expect(await alerts.json()).toEqual([]);
});

test('system: a host URL whose /readyz is not a readiness document is shown as unreachable, saying why', async () => {
  // Something else answers on the host's port: JSON, but not health+json.
  const notAHost = await startReceiver((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  const dir = tempDir('atolye-dashboard-not-a-host-');
  const other = await startApi(dir.dir, notAHost.url);
  try {
    const { key } = await other.orchestrator.keys.create('admin', { admin: true });
    const response = await fetch(`${other.url}/dashboard/api/system`, {
      headers: { 'x-api-key': key },
    });
    expect(response.status).toBe(200);
    const system = (await response.json()) as {
      orchestrator: { health: { status: string } };
      host: { url: string; health?: unknown; unreachable?: string };
    };
    expect(['pass', 'warn', 'fail']).toContain(system.orchestrator.health.status);
    expect(system.host.url).toBe(notAHost.url);
    expect(system.host.health).toBeUndefined();
    expect(system.host.unreachable).toContain(
      `the /readyz answer of the worker host at ${notAHost.url} is not a readiness document`,
    );
    expect(system.host.unreachable).toContain('checks');
  } finally {
    await other.stop();
    await notAHost.close();
    dir.cleanup();
  }
});

test('alerts: a firing ratio names its window and counts, the same calls the system numbers count', async () => {
  await finishedRun('plan-fails for the alert');
  await api.orchestrator.alerting.tick();
  const alerts = (await (await get('/dashboard/api/alerts', api.adminKey)).json()) as {
    name: string;
    windowMs: number;
    counts?: { failed: number; total: number };
  }[];
  const ratio = alerts.find((alert) => alert.name === 'AtolyeInvocationErrorRatioHigh');
  const system = (await (await get('/dashboard/api/system', api.adminKey)).json()) as {
    metrics: { invocations: number; errors: number };
  };
  // The window began before the suite's first call, so it holds every call since the host started.
  expect(ratio).toMatchObject({
    windowMs: 5 * 60_000,
    counts: { failed: system.metrics.errors, total: system.metrics.invocations },
  });
  expect(system.metrics.errors).toBe(1);
});
