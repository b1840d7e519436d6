import { readFileSync } from 'node:fs';
import type { ScriptInput } from '../../../src/cli/mock-llm/index.js';
import type { RunRecord } from '../../../src/orchestrator/index.js';
import type { FaultyModelProxy } from '../../helpers/model-faults.js';
import { observationsIn, startHarness, type Harness, type LogLine } from './harness.js';
import { eventually } from '../../helpers/eventually.js';

// One retry layer, counted through the real stack: executor → graph → invoke client → worker
// host → the real act function → the real ChatOpenAI → a model server that fails on cue. Each
// test counts the requests the model server received and the act calls the orchestrator logged.

let harness: Harness;

beforeAll(async () => {
  // act declares one retry here; the real declarations stay as they are in functions/.
  harness = await startHarness('atolye-e2e-retries-', { stepRetries: { act: 1 } });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/**
 * plan → act (write a.txt) → act (finish); review's check passes without the model. `malformed`:
 * the first write_file call's arguments are not JSON, and the act after its observation sends
 * them again.
 */
function writeAScript(task: string, malformed = false): ScriptInput {
  const writeA = (args: string | Record<string, unknown>) => ({
    tool_calls: [{ name: 'write_file', arguments: args }],
  });
  const goodArgs = { path: 'a.txt', content: 'A\n' };
  return {
    model: 'mock',
    turns: [
      {
        match: { role: 'user', contains: task },
        reply: { content: '{"steps": ["write a.txt"], "checks": ["test -f a.txt"]}' },
      },
      {
        match: { role: 'user', contains: 'test -f a.txt' },
        reply: writeA(malformed ? '{"path": "a.txt", "content": "A\\n",}' : goodArgs),
      },
      ...(malformed
        ? [
            {
              match: { role: 'tool' as const, contains: 'were not valid JSON' },
              reply: writeA(goodArgs),
            },
          ]
        : []),
      {
        match: { role: 'tool', contains: 'a.txt' },
        reply: { tool_calls: [{ name: 'finish', arguments: { summary: 'Wrote a.txt.' } }] },
      },
    ],
  };
}

/** The orchestrator's `agent` lines about `step` in one run, once `count` of them are written. */
async function stepLines(runId: string, step: string, count: number): Promise<LogLine[]> {
  const lines = (): LogLine[] =>
    harness
      .logLines('orchestrator', 'agent')
      .filter((line) => line.runId === runId && line.step === step);
  // The log files are written asynchronously; wait for the lines, then assert on all of them.
  await eventually(`${count} agent lines about ${step}`, () => lines().length >= count);
  return lines();
}

/** What the model proxy received since `from`: `fault` for each scripted error, `ok` otherwise. */
function requestsSince(from: number): string[] {
  return harness.modelProxy.requests
    .slice(from)
    .map((request) => (request.faulted ? 'fault' : 'ok'));
}

test('an act failing once with a retryable error: two act calls, one model request each', async () => {
  const from = harness.modelProxy.requests.length;
  const task = 'retryable: write a.txt';
  // plan's request goes through; act's first gets a 500 without any retry direction.
  const run = await runWithFaults(task, writeAScript(task), [
    null,
    { status: 500, message: 'upstream broke' },
  ]);

  expect(run).toMatchObject({ status: 'success', error: null });
  // plan, act (500), act again, act (finish): four requests, one of them failed.
  expect(requestsSince(from)).toEqual(['ok', 'fault', 'ok', 'ok']);
  const acts = await stepLines(run.runId, 'act', 4);
  expect(acts.map((line) => [line.msg, line.attempt])).toEqual([
    ['step act failed', 1],
    ['step act attempt 1 of 2 failed (MODEL_ERROR); retrying in 50 ms', 1],
    ['step act finished', 2],
    ['step act finished', 1],
  ]);
  expect(acts[1]).toMatchObject({
    level: 'warn',
    maxAttempts: 2,
    retryable: true,
    delayMs: 50,
    error: expect.stringContaining('The model server answered 500'),
  });
}, 30_000);

test('an act failing with a non-retryable error: one act call, one model request, a clear error', async () => {
  const from = harness.modelProxy.requests.length;
  const task = 'non-retryable: write a.txt';
  const run = await runWithFaults(task, writeAScript(task), [
    null,
    { status: 400, message: 'this model does not support tools' },
  ]);

  expect(run.status).toBe('error');
  expect(run.error?.code).toBe('MODEL_ERROR');
  expect(run.error?.message).toContain(
    'step act failed: function act failed: The model server answered 400',
  );
  expect(run.error?.message).toContain('this model does not support tools');
  expect(requestsSince(from)).toEqual(['ok', 'fault']);
  const acts = await stepLines(run.runId, 'act', 2);
  expect(acts.map((line) => line.msg)).toEqual([
    'step act failed',
    'step act attempt 1 of 2 failed (MODEL_ERROR); not retryable, the run ends',
  ]);
  expect(acts[1]).toMatchObject({ level: 'warn', retryable: false, attempt: 1 });
}, 30_000);

test('a 429 with Retry-After is retried by the model request layer only: one act call, two requests', async () => {
  const from = harness.modelProxy.requests.length;
  const task = 'rate limited: write a.txt';
  const run = await runWithFaults(task, writeAScript(task), [
    null,
    { status: 429, headers: { 'retry-after': '1' }, message: 'rate limit reached' },
  ]);

  expect(run).toMatchObject({ status: 'success', error: null });
  expect(requestsSince(from)).toEqual(['ok', 'fault', 'ok', 'ok']);
  // The step layer saw no failure: each act ran once.
  const acts = await stepLines(run.runId, 'act', 2);
  expect(acts.map((line) => [line.msg, line.attempt])).toEqual([
    ['step act finished', 1],
    ['step act finished', 1],
  ]);
}, 30_000);

test('malformed tool-call JSON is one observation; the next turn fixes it and the run finishes', async () => {
  const from = harness.modelProxy.requests.length;
  const thread = 'thread-e2e-malformed';
  const task = 'malformed: write a.txt';
  const { run, model } = await harness.runScripted(writeAScript(task, true), thread, task);

  expect(run).toMatchObject({ status: 'success', error: null });
  expect(readFileSync(harness.workspaceFile(thread, 'a.txt'), 'utf8')).toBe('A\n');
  // plan + three acts; no request failed and none was repeated.
  expect(requestsSince(from)).toEqual(['ok', 'ok', 'ok', 'ok']);
  const [observation] = observationsIn(model, 2);
  expect(observation).toMatch(
    /^Your arguments for write_file were not valid JSON: .*position \d+.*\. Nothing was run; send the call again with its arguments as one JSON object\.$/,
  );
  // Each step ran once: the malformed call cost one tools step, not a failed act.
  const agentLines = (): LogLine[] =>
    harness.logLines('orchestrator', 'agent').filter((line) => line.runId === run.runId);
  await eventually('finalize', () =>
    agentLines().some((line) => line.msg === 'step finalize finished'),
  );
  const steps = agentLines().filter((line) => line.msg.startsWith('step '));
  expect(steps.map((line) => line.msg)).toEqual([
    'step plan finished',
    'step act finished',
    'step tools finished',
    'step act finished',
    'step tools finished',
    'step act finished',
    'step review finished',
    'step finalize finished',
  ]);
  const tools = agentLines().filter((line) => line.msg === 'tool write_file');
  expect(tools.map((line) => [line.ok, line.code])).toEqual([
    [false, 'INVALID_ARGUMENTS'],
    [true, undefined],
  ]);
}, 30_000);

/**
 * Runs `task` on a thread of its own with the model answering from `script`, the proxy failing
 * the requests where `faults` holds a fault (null: that request goes through).
 */
async function runWithFaults(
  task: string,
  script: ScriptInput,
  faults: FaultyModelProxy['faults'],
): Promise<RunRecord> {
  harness.modelProxy.faults.push(...faults);
  try {
    const { run } = await harness.runScripted(script, `thread-${task.replace(/\W+/g, '-')}`, task);
    return run;
  } finally {
    harness.modelProxy.faults.length = 0;
  }
}
