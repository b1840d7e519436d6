import { createHash } from 'node:crypto';
import type { AgentStateValue } from './state.js';
import type { RunError, RunStatus, ToolCall, ToolResult } from './steps.js';

/** The limits that end a run early, each with its own terminal status. */
export interface RunLimits {
  maxIterations: number;
  /** Input plus output tokens over all steps. */
  maxTokens?: number;
  maxCostUsd?: number;
}

export const DEFAULT_MAX_ITERATIONS = 30;
/** The same calls with the same results this many times in a row means the model is looping. */
export const STUCK_REPEATS = 3;

export interface Stop {
  status: Exclude<RunStatus, 'running' | 'success' | 'error'>;
  error: RunError;
}

/** Checked before each `act`: the first limit that is reached ends the run. */
export function checkStops(
  state: AgentStateValue,
  limits: RunLimits,
  cancelled: boolean,
): Stop | null {
  if (cancelled) {
    return {
      status: 'cancelled',
      error: { code: 'RUN_CANCELLED', message: 'the run was cancelled' },
    };
  }
  if (state.iteration >= limits.maxIterations) {
    return {
      status: 'max_iterations',
      error: {
        code: 'MAX_ITERATIONS',
        message: `stopped after ${state.iteration} iterations (limits.maxIterations = ${limits.maxIterations}); raise the limit or split the task`,
      },
    };
  }
  const recent = state.toolFingerprints.slice(-STUCK_REPEATS);
  if (recent.length === STUCK_REPEATS && recent.every((print) => print === recent[0])) {
    return {
      status: 'stuck',
      error: {
        code: 'STUCK',
        message: `the model made the same tool calls with the same results ${STUCK_REPEATS} times in a row`,
      },
    };
  }
  const { totals } = state.usage;
  const tokens = totals.inputTokens + totals.outputTokens;
  if (limits.maxTokens !== undefined && tokens >= limits.maxTokens) {
    return {
      status: 'budget_exceeded',
      error: {
        code: 'TOKEN_BUDGET_EXCEEDED',
        message: `used ${tokens} tokens, the budget is ${limits.maxTokens} (limits.maxTokens)`,
      },
    };
  }
  if (limits.maxCostUsd !== undefined && totals.costUsd >= limits.maxCostUsd) {
    return {
      status: 'budget_exceeded',
      error: {
        code: 'COST_BUDGET_EXCEEDED',
        message: `spent $${totals.costUsd.toFixed(4)}, the budget is $${limits.maxCostUsd} (limits.maxCostUsd)`,
      },
    };
  }
  return null;
}

/** Identifies one `tools` step by what was called and what came back; call ids are ignored. */
export function toolFingerprint(calls: ToolCall[], results: ToolResult[]): string {
  const shape = {
    calls: calls.map((call) => [call.name, canonicalArgs(call.args)]),
    results: results.map((result) => [result.name, result.ok, result.content]),
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex');
}

/** Some servers send arguments as a JSON string, others as an object; both forms compare equal. */
function canonicalArgs(args: unknown): string {
  let value = args;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return value as string;
    }
  }
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return Object.fromEntries(entries.map(([key, item]) => [key, sortKeys(item)]));
  }
  return value;
}
