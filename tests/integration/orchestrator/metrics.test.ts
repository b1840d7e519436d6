import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from './api-helpers.js';
import { startStepHost, stepsOf, type StepHost } from './helpers.js';

// GET /metrics on the real orchestrator, in front of a real worker host running the scripted steps.

let root: ReturnType<typeof tempDir>;
let fixtureDir: string;
let stepHost: StepHost;
let api: TestApi;
/** Serves /metrics to API keys only (api.protectMetrics). */
let guarded: TestApi;

beforeAll(async () => {
  root = tempDir('atolye-api-metrics-');
  fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(path.join(root.dir, 'main'), stepHost);
  guarded = await startTestApi(path.join(root.dir, 'guarded'), stepHost, {
    'api.protectMetrics': 'true',
  });
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await guarded?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

const json = { 'content-type': 'application/json' };

/** Runs `task` on a new thread through the HTTP API and waits for it to end. */
async function runTask(target: TestApi, task: string): Promise<string> {
  const headers = { ...json, 'x-api-key': target.key };
  const thread = await fetch(`${target.url}/threads`, { method: 'POST', headers, body: '{}' });
  const { thread_id: threadId } = (await thread.json()) as { thread_id: string };
  const created = await fetch(`${target.url}/threads/${threadId}/runs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ assistant_id: 'atolye', input: { task } }),
  });
  expect(created.status).toBe(200);
  const { run_id: runId } = (await created.json()) as { run_id: string };
  await target.orchestrator.executor.waitFor(runId);
  return runId;
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('after a run, /metrics counts it with its steps, tokens, cost and tool calls', async () => {
  const runId = await runTask(api, 'write the notes');
  const steps = stepsOf(fixtureDir, runId);
  const acts = steps.filter((step) => step === 'act').length;
  expect(steps).toEqual(expect.arrayContaining(['plan', 'act', 'tools', 'review', 'finalize']));

  const response = await fetch(`${api.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const text = await response.text();

  expect(sample(text, 'atolye_runs_total{status="success"}')).toBe(1);
  expect(sample(text, 'atolye_run_duration_seconds_count')).toBe(1);
  expect(sample(text, 'atolye_run_steps_count')).toBe(1);
  expect(sample(text, 'atolye_run_steps_sum')).toBe(steps.length);
  // plan reports 20 in / 10 out; every act and finalize the kit's 10 in / 5 out.
  expect(sample(text, 'atolye_llm_tokens_total{step="plan",kind="input"}')).toBe(20);
  expect(sample(text, 'atolye_llm_tokens_total{step="plan",kind="output"}')).toBe(10);
  expect(sample(text, 'atolye_llm_tokens_total{step="act",kind="input"}')).toBe(10 * acts);
  expect(sample(text, 'atolye_llm_tokens_total{step="act",kind="output"}')).toBe(5 * acts);
  expect(sample(text, 'atolye_llm_tokens_total{step="finalize",kind="output"}')).toBe(5);
  expect(sample(text, 'atolye_llm_cost_usd_total')).toBeCloseTo(0.002 + 0.001 * (acts + 1), 9);
  expect(sample(text, 'atolye_tool_calls_total{tool="write_file",outcome="ok"}')).toBe(1);
  // The fixture tools run no command: the histogram is there, empty.
  expect(sample(text, 'atolye_sandbox_duration_seconds_count')).toBe(0);
  expect(text).toContain('process_resident_memory_bytes');
}, 30_000);

test('with api.protectMetrics, /metrics needs an API key', async () => {
  const refused = await fetch(`${guarded.url}/metrics`);
  expect(refused.status).toBe(401);
  await refused.body?.cancel();

  const allowed = await fetch(`${guarded.url}/metrics`, { headers: { 'x-api-key': guarded.key } });
  expect(allowed.status).toBe(200);
  expect(await allowed.text()).toContain('# TYPE atolye_runs_total counter');
});
