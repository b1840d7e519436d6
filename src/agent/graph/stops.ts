import { createHash } from 'node:crypto';
import type { ErrorCode } from '../../error-codes/index.js';
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
/**
 * Two different actions taking turns (A, B, A, B) for this many full cycles, each with the same
 * results as before, means the model goes back and forth without getting anywhere. One cycle can
 * be a deliberate check after a change; a second identical one changed nothing.
 */
export const STUCK_ALTERNATIONS = 2;

export interface Stop {
  status: Exclude<RunStatus, 'running' | 'success' | 'error'>;
  error: RunError & { code: ErrorCode };
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
  const loop = loopIn(state.toolFingerprints);
  if (loop !== null) return { status: 'stuck', error: { code: 'STUCK', message: loop } };
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

/** Which loop, if any, the latest `tools` steps (one fingerprint each, oldest first) are caught in. */
export function loopIn(prints: readonly string[]): string | null {
  const repeated = prints.slice(-STUCK_REPEATS);
  if (repeated.length === STUCK_REPEATS && repeated.every((print) => print === repeated[0])) {
    return `the model made the same tool calls with the same results ${STUCK_REPEATS} times in a row`;
  }
  const span = 2 * STUCK_ALTERNATIONS;
  const recent = prints.slice(-span);
  if (
    recent.length === span &&
    recent[0] !== recent[1] &&
    recent.every((print, index) => print === recent[index % 2])
  ) {
    return `the model alternated between the same two tool calls with the same results ${STUCK_ALTERNATIONS} times (A, B, A, B)`;
  }
  return null;
}

/**
 * Identifies one `tools` step by what was called and what came of it: each call's name and
 * canonical arguments, and each result's outcome. Call ids and timings are left out, so running
 * the same command twice with the same result gives the same fingerprint however long each took.
 */
export function toolFingerprint(calls: ToolCall[], results: ToolResult[]): string {
  const shape = {
    calls: calls.map((call) => [call.name, canonicalArgs(call.args)]),
    results: results.map(outcomeOf),
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex');
}

/**
 * A command's outcome is its exit code and output; its observation text also carries its
 * duration, so that text is compared only for the other tools (and for results from a tools
 * worker that does not report the outcome).
 */
function outcomeOf(result: ToolResult): unknown[] {
  const head = [result.name, result.ok, result.code ?? null];
  if (result.outcome === undefined) return [...head, result.content];
  const { exitCode, timedOut, stdout, stderr } = result.outcome;
  return [...head, exitCode, timedOut, maskTimings(stdout), maskTimings(stderr)];
}

const TIMINGS = [
  // Durations, compound ones too: "0.003s", "340ms", "1m2.5s", "12 µs", "1.2 s", "3 seconds".
  /\b(?:\d+(?:[.,]\d+)?(?:ns|µs|us|ms|s|m|h))+\b/g,
  /\b\d+(?:[.,]\d+)?\s?(?:ns|µs|us|ms|s|secs?|seconds?|mins?|minutes?|hours?)\b/g,
  // Clock times in log lines: "12:04:59", "12:04:59.123".
  /\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g,
];

/**
 * Test runners and build tools print their own timings ("Ran 1 test in 0.003s", "1 failed in
 * 0.04s", "Time: 1.2 s", "Done in 340ms"); two runs that differ only there had the same outcome.
 */
export function maskTimings(output: string): string {
  return TIMINGS.reduce((text, pattern) => text.replace(pattern, '<time>'), output);
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
