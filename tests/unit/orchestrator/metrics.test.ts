import { OrchestratorMetrics } from '../../../src/orchestrator/metrics.js';
import type { RunRecord } from '../../../src/orchestrator/runs-store.js';
import type { StepCallRecord } from '../../../src/orchestrator/step-client.js';

function runRecord(runId: string, status: RunRecord['status'], seconds: number): RunRecord {
  const created = Date.parse('2026-01-01T00:00:00.000Z');
  return {
    runId,
    threadId: 't1',
    task: 'task',
    status,
    metadata: {},
    multitaskStrategy: 'enqueue',
    webhook: null,
    stopReason: null,
    error: null,
    summary: null,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    cancelRequested: false,
    usageOffset: 0,
    startCheckpoint: null,
    control: {},
    interrupts: null,
    createdAt: new Date(created).toISOString(),
    updatedAt: new Date(created + seconds * 1000).toISOString(),
  };
}

const step = (fields: Partial<StepCallRecord> & { step: string }): StepCallRecord => ({
  durationMs: 10,
  attempt: 1,
  ok: true,
  ...fields,
});

/** The sample lines of `name` in the exposition text, by their label part. */
async function samples(metrics: OrchestratorMetrics, name: string): Promise<Map<string, number>> {
  const lines = (await metrics.text()).split('\n').filter((line) => line.startsWith(name));
  return new Map(
    lines.map((line) => {
      const at = line.lastIndexOf(' ');
      return [line.slice(0, at), Number(line.slice(at + 1))];
    }),
  );
}

test('step records count tokens by step and kind, cost, and tool calls by tool and outcome', async () => {
  const metrics = new OrchestratorMetrics({ processMetrics: false });
  metrics.observeStep(
    step({ step: 'plan', inputTokens: 100, outputTokens: 20, costUsd: 0.25 }),
    'r1',
  );
  metrics.observeStep(
    step({ step: 'act', inputTokens: 300, outputTokens: 40, costUsd: 0.5 }),
    'r1',
  );
  metrics.observeStep(step({ step: 'act', inputTokens: 50, outputTokens: 5, costUsd: 0.25 }), 'r1');
  metrics.observeStep(
    step({
      step: 'tools',
      toolCalls: [
        { tool: 'write_file', target: 'a.txt', resultBytes: 3, ok: true, durationMs: 2 },
        { tool: 'run_command', target: 'false', resultBytes: 9, ok: false, code: 'COMMAND_FAILED' },
        { tool: 'run_command', target: 'true', resultBytes: 0, ok: true },
        // What a model made up stays out of the label values.
        { tool: 'rm -rf /', target: '', resultBytes: 0, ok: false, code: 'Not A Code!' },
      ],
    }),
    'r1',
  );
  metrics.observeStep(step({ step: 'review', ok: false }), 'r1');

  expect(await samples(metrics, 'atolye_llm_tokens_total')).toEqual(
    new Map([
      ['atolye_llm_tokens_total{step="plan",kind="input"}', 100],
      ['atolye_llm_tokens_total{step="plan",kind="output"}', 20],
      ['atolye_llm_tokens_total{step="act",kind="input"}', 350],
      ['atolye_llm_tokens_total{step="act",kind="output"}', 45],
    ]),
  );
  expect(await samples(metrics, 'atolye_llm_cost_usd_total')).toEqual(
    new Map([['atolye_llm_cost_usd_total', 1]]),
  );
  expect(await samples(metrics, 'atolye_tool_calls_total')).toEqual(
    new Map([
      ['atolye_tool_calls_total{tool="write_file",outcome="ok"}', 1],
      ['atolye_tool_calls_total{tool="run_command",outcome="COMMAND_FAILED"}', 1],
      ['atolye_tool_calls_total{tool="run_command",outcome="ok"}', 1],
      ['atolye_tool_calls_total{tool="unknown",outcome="error"}', 1],
    ]),
  );

  // The run's five step calls land in its steps histogram when it ends.
  metrics.observeRunEnd(runRecord('r1', 'success', 42));
  const steps = await samples(metrics, 'atolye_run_steps');
  expect(steps.get('atolye_run_steps_bucket{le="4"}')).toBe(0);
  expect(steps.get('atolye_run_steps_bucket{le="8"}')).toBe(1);
  expect(steps.get('atolye_run_steps_sum')).toBe(5);
  expect(steps.get('atolye_run_steps_count')).toBe(1);
});

test('ended runs count by status, with their durations in minute-scale buckets', async () => {
  const metrics = new OrchestratorMetrics({ processMetrics: false });
  metrics.observeRunEnd(runRecord('a', 'success', 42));
  metrics.observeRunEnd(runRecord('b', 'success', 3));
  metrics.observeRunEnd(runRecord('c', 'error', 700));
  metrics.observeRunEnd(runRecord('d', 'timeout', 1800));

  expect(await samples(metrics, 'atolye_runs_total')).toEqual(
    new Map([
      ['atolye_runs_total{status="success"}', 2],
      ['atolye_runs_total{status="error"}', 1],
      ['atolye_runs_total{status="timeout"}', 1],
    ]),
  );
  const duration = await samples(metrics, 'atolye_run_duration_seconds');
  expect(duration.get('atolye_run_duration_seconds_bucket{le="1"}')).toBe(0);
  expect(duration.get('atolye_run_duration_seconds_bucket{le="5"}')).toBe(1);
  expect(duration.get('atolye_run_duration_seconds_bucket{le="60"}')).toBe(2);
  expect(duration.get('atolye_run_duration_seconds_bucket{le="600"}')).toBe(2);
  expect(duration.get('atolye_run_duration_seconds_bucket{le="1200"}')).toBe(3);
  expect(duration.get('atolye_run_duration_seconds_bucket{le="1800"}')).toBe(4);
  expect(duration.get('atolye_run_duration_seconds_sum')).toBe(2545);
  expect(duration.get('atolye_run_duration_seconds_count')).toBe(4);
  // A run that made no step call (cancelled while pending) is a zero.
  expect((await samples(metrics, 'atolye_run_steps')).get('atolye_run_steps_sum')).toBe(0);
});

test('the commands in tools and review updates are the sandbox durations', async () => {
  const metrics = new OrchestratorMetrics({ processMetrics: false });
  const command = (durationMs: number) => ({
    command: 'npm test',
    exitCode: 0,
    stdout: '',
    stderr: '',
    timedOut: false,
    durationMs,
  });
  metrics.observeUpdate({ tools: { messages: [], commandResults: [command(40), command(2500)] } });
  metrics.observeUpdate({ review: { commandResults: [command(90_000)] } });
  metrics.observeUpdate({ act: { messages: [] } });
  metrics.observeUpdate(null);

  const sandbox = await samples(metrics, 'atolye_sandbox_duration_seconds');
  expect(sandbox.get('atolye_sandbox_duration_seconds_bucket{le="0.05"}')).toBe(1);
  expect(sandbox.get('atolye_sandbox_duration_seconds_bucket{le="2.5"}')).toBe(2);
  expect(sandbox.get('atolye_sandbox_duration_seconds_bucket{le="60"}')).toBe(2);
  expect(sandbox.get('atolye_sandbox_duration_seconds_bucket{le="120"}')).toBe(3);
  expect(sandbox.get('atolye_sandbox_duration_seconds_sum')).toBeCloseTo(92.54, 6);
  expect(sandbox.get('atolye_sandbox_duration_seconds_count')).toBe(3);
});

test('each instance has its own registry; process metrics are on by default', async () => {
  const first = new OrchestratorMetrics({ processMetrics: false });
  const second = new OrchestratorMetrics();
  first.observeRunEnd(runRecord('a', 'success', 1));
  expect(await samples(second, 'atolye_runs_total')).toEqual(new Map());
  expect(await second.text()).toContain('process_cpu_user_seconds_total');
  expect(first.contentType).toContain('text/plain');
});
