import { collectDefaultMetrics, Counter, Histogram, Registry as PromRegistry } from 'prom-client';
import { STEP_NAMES } from '../agent/graph/steps.js';
import { TOOL_NAMES } from '../agent/tools/specs.js';
import type { RunRecord } from './runs-store.js';
import type { StepCallRecord } from './step-client.js';

/** 1 s to 30 min: a run is a chain of model calls and commands, seldom done in under a second. */
export const RUN_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800];
/** Step calls per run: plan and finalize, plus an `act` and a `tools` or `review` per iteration. */
export const RUN_STEP_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];
/** 10 ms to 10 min: `true` returns at once, a test suite may take minutes. */
export const SANDBOX_DURATION_BUCKETS = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];

const KNOWN_STEPS = new Set<string>(STEP_NAMES);
const KNOWN_TOOLS = new Set(TOOL_NAMES);
/** Tool result codes are short UPPER_SNAKE words (`COMMAND_FAILED`, `NO_MATCH`), as every code is. */
const TOOL_CODE = /^[A-Z][A-Z_]{0,31}$/;

export interface OrchestratorMetricsOptions {
  /** Also export the process's CPU, memory, event-loop and GC metrics. */
  processMetrics?: boolean;
}

/**
 * The orchestrator's Prometheus metrics: runs, their steps, tokens, cost, tool calls and sandboxed
 * commands, in a registry of its own (never the global default, so two orchestrators in one
 * process, as in tests, do not share counters). Fed by the executor's `onStep` and `onRunEnd` and
 * by the runs' state updates; labels are kept to closed sets, whatever a model answers.
 */
export class OrchestratorMetrics {
  readonly registry = new PromRegistry();
  private readonly runs: Counter<'status'>;
  private readonly runDuration: Histogram;
  private readonly runSteps: Histogram;
  private readonly tokens: Counter<'step' | 'kind'>;
  private readonly cost: Counter;
  private readonly toolCalls: Counter<'tool' | 'outcome'>;
  private readonly sandbox: Histogram;
  /** Step calls of each run in progress, observed when the run ends. */
  private readonly stepsByRun = new Map<string, number>();

  constructor(options: OrchestratorMetricsOptions = {}) {
    const registers = [this.registry];
    this.runs = new Counter({
      name: 'atolye_runs_total',
      help: 'Runs ended, by status (success, error, timeout, interrupted).',
      labelNames: ['status'],
      registers,
    });
    this.runDuration = new Histogram({
      name: 'atolye_run_duration_seconds',
      help: 'Time from a run being created until it ended, queueing behind its thread included.',
      buckets: RUN_DURATION_BUCKETS,
      registers,
    });
    this.runSteps = new Histogram({
      name: 'atolye_run_steps',
      help: 'Step calls (plan, act, tools, review, finalize) a run made, failed ones included.',
      buckets: RUN_STEP_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: 'atolye_llm_tokens_total',
      help: 'Model tokens the steps reported, by step and kind (input, output).',
      labelNames: ['step', 'kind'],
      registers,
    });
    this.cost = new Counter({
      name: 'atolye_llm_cost_usd_total',
      help: 'Model cost in USD the steps reported, from the model.prices table.',
      registers,
    });
    this.toolCalls = new Counter({
      name: 'atolye_tool_calls_total',
      help: 'Tool calls the tools step ran, by tool and outcome (ok or the result code).',
      labelNames: ['tool', 'outcome'],
      registers,
    });
    this.sandbox = new Histogram({
      name: 'atolye_sandbox_duration_seconds',
      help: 'Wall-clock time of each sandboxed command (run_command tool calls and review checks).',
      buckets: SANDBOX_DURATION_BUCKETS,
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** One finished step call, as the step client records it. */
  observeStep(record: StepCallRecord, runId?: string): void {
    if (runId !== undefined) this.stepsByRun.set(runId, (this.stepsByRun.get(runId) ?? 0) + 1);
    const step = KNOWN_STEPS.has(record.step) ? record.step : 'other';
    if (record.inputTokens) this.tokens.inc({ step, kind: 'input' }, record.inputTokens);
    if (record.outputTokens) this.tokens.inc({ step, kind: 'output' }, record.outputTokens);
    if (record.costUsd) this.cost.inc(record.costUsd);
    for (const call of record.toolCalls ?? []) {
      this.toolCalls.inc({
        tool: KNOWN_TOOLS.has(call.tool) ? call.tool : 'unknown',
        outcome: call.ok
          ? 'ok'
          : call.code !== undefined && TOOL_CODE.test(call.code)
            ? call.code
            : 'error',
      });
    }
  }

  /**
   * One state update of a run's graph, as the executor streams it: the `tools` and `review` nodes
   * carry the commands they ran, with their durations.
   */
  observeUpdate(update: unknown): void {
    if (update === null || typeof update !== 'object') return;
    for (const node of Object.values(update as Record<string, unknown>)) {
      if (node === null || typeof node !== 'object') continue;
      const { commandResults } = node as { commandResults?: unknown };
      if (!Array.isArray(commandResults)) continue;
      for (const command of commandResults as unknown[]) {
        const durationMs = (command as { durationMs?: unknown } | null)?.durationMs;
        if (typeof durationMs === 'number' && durationMs >= 0)
          this.sandbox.observe(durationMs / 1000);
      }
    }
  }

  /** A run that ended, with its final record. */
  observeRunEnd(run: RunRecord): void {
    this.runs.inc({ status: run.status });
    const seconds = (Date.parse(run.updatedAt) - Date.parse(run.createdAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) this.runDuration.observe(seconds);
    this.runSteps.observe(this.stepsByRun.get(run.runId) ?? 0);
    this.stepsByRun.delete(run.runId);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
