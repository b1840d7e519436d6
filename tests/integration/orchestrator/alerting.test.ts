import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from './api-helpers.js';
import { startStepHost, type StepHost } from './helpers.js';
import { eventually } from '../../helpers/eventually.js';

// The embedded alerts, without Prometheus: the orchestrator reads the real host's counters,
// a failing step pushes the invocation error ratio over 1 %, and the alert is logged to system
// and errors and posted to the webhook.

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
let receiver: Server;
const posted: { status: string; alert: { name: string } }[] = [];

beforeAll(async () => {
  root = tempDir('atolye-alerting-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      posted.push(JSON.parse(body) as (typeof posted)[number]);
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as { port: number };
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(root.dir, stepHost, {
    'alerts.intervalMs': '0',
    'alerts.webhookUrl': `http://127.0.0.1:${port}/alerts`,
  });
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  root?.cleanup();
});

async function runTask(task: string): Promise<void> {
  const headers = { 'x-api-key': api.key, 'content-type': 'application/json' };
  const thread = (await (
    await fetch(`${api.url}/threads`, { method: 'POST', headers, body: '{}' })
  ).json()) as { thread_id: string };
  const response = await fetch(`${api.url}/threads/${thread.thread_id}/runs/wait`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ assistant_id: 'atolye', input: { task } }),
  });
  await response.text();
}

test('a failing function fires the error-ratio alert: logged to system and errors, posted, listed', async () => {
  const { alerting } = api.orchestrator;
  await runTask('write notes'); // healthy traffic first
  await alerting.tick();
  expect(alerting.active()).toEqual([]);

  await runTask('plan-fails now');
  await alerting.tick();
  // One failed run of two passes the run failure ratio (20 %) as well.
  expect(alerting.active().map((alert) => alert.name)).toEqual([
    'AtolyeInvocationErrorRatioHigh',
    'AtolyeRunFailureRatioHigh',
  ]);

  // The channel files are written asynchronously: wait for the lines to land.
  const logged = (channel: string): boolean =>
    readFileSync(path.join(api.logDir, `${channel}.log`), 'utf8').includes(
      'alert firing: AtolyeInvocationErrorRatioHigh',
    );
  await eventually('the alert in system and errors', () => logged('system') && logged('errors'));
  await eventually('the webhook received both alerts', () => posted.length === 2);
  expect(posted).toContainEqual(
    expect.objectContaining({
      status: 'firing',
      alert: expect.objectContaining({
        name: 'AtolyeInvocationErrorRatioHigh',
        severity: 'critical',
      }),
    }),
  );

  // The active alerts are what the dashboard lists.
  const listed = await fetch(`${api.url}/dashboard/api/alerts`, {
    headers: { 'x-api-key': api.adminKey },
  });
  expect(await listed.json()).toEqual([
    expect.objectContaining({ name: 'AtolyeInvocationErrorRatioHigh' }),
    expect.objectContaining({ name: 'AtolyeRunFailureRatioHigh' }),
  ]);
});
