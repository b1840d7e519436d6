import type { CallStep } from '../agent/graph/index.js';
import type { Invoke } from '../runtime/invoke.js';

/** One finished step call, for the `agent` log line and metrics. */
export interface StepCallRecord {
  step: string;
  durationMs: number;
  attempts: number;
  /** Tokens the step reported using, when it called a model. */
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  ok: boolean;
}

export interface StepClientOptions {
  invoke: Invoke;
  /** Deadline of one attempt of one step: generous, a step may run a model and commands. */
  timeoutMs: number;
  /** Aborts every call in flight, when the orchestrator stops. */
  signal?: AbortSignal;
  onCall?: (record: StepCallRecord) => void;
}

/**
 * The graph's `callStep` as a signed `POST /fn/<step>`: the run's ids go in the invocation meta
 * and the graph's per-step idempotency key in the header, so a resumed step that the host already
 * ran (or is still running) is answered from the host's cache instead of running twice.
 */
export function stepClient(options: StepClientOptions): CallStep {
  return async (name, input, call) => {
    const started = performance.now();
    try {
      const result = await options.invoke(name, input, {
        meta: { threadId: call.threadId, runId: call.runId, step: call.step },
        idempotencyKey: call.idempotencyKey,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      });
      options.onCall?.({
        step: name,
        durationMs: Math.round(performance.now() - started),
        attempts: result.attempts,
        ok: true,
        ...usageOf(result.output),
      });
      return result.output;
    } catch (error) {
      options.onCall?.({
        step: name,
        durationMs: Math.round(performance.now() - started),
        attempts: (error as { attempts?: number }).attempts ?? 1,
        ok: false,
      });
      throw error;
    }
  };
}

function usageOf(output: unknown): Partial<StepCallRecord> {
  if (output === null || typeof output !== 'object') return {};
  const usage = (output as { usage?: unknown }).usage;
  if (usage === null || typeof usage !== 'object') return {};
  const { inputTokens, outputTokens, costUsd } = usage as Record<string, unknown>;
  return typeof inputTokens === 'number' &&
    typeof outputTokens === 'number' &&
    typeof costUsd === 'number'
    ? { inputTokens, outputTokens, costUsd }
    : {};
}
