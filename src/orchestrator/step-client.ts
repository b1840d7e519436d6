import { stepErrorCode, ToolsInput, ToolsOutput, type CallStep } from '../agent/graph/index.js';
import type { Invoke } from '../runtime/invoke.js';
import { hostAsksResend, RESEND_BUDGET_MS, resendGivenUp, resendWaitMs } from './host-resend.js';

/** One finished step call, for the `agent` log line and metrics. */
export interface StepCallRecord {
  step: string;
  durationMs: number;
  /** Which attempt of the step this call was, from 1 (the graph's step retry policy counts). */
  attempt: number;
  /** The failure's code, when the call failed. */
  code?: string;
  /** The host asked for the call again (a refusal, a killed worker); it is sent after this wait. */
  retryInMs?: number;
  /** Tokens the step reported using, when it called a model. */
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  ok: boolean;
  /** For a `tools` step that answered: one entry per tool call, in call order. */
  toolCalls?: ToolCallRecord[];
}

/** One tool call of a `tools` step, as its log line shows it: never file contents. */
export interface ToolCallRecord {
  tool: string;
  /** The call's path, or the first characters of its command; empty for calls without either. */
  target: string;
  /** Size of the observation the model reads. */
  resultBytes: number;
  ok: boolean;
  code?: string;
  durationMs?: number;
}

/** How much of a command a log line keeps. */
const COMMAND_CHARS = 80;

export interface StepClientOptions {
  invoke: Invoke;
  /** Deadline of one attempt of one step: generous, a step may run a model and commands. */
  timeoutMs: number;
  /** Aborts every call in flight, when the orchestrator stops. */
  signal?: AbortSignal;
  onCall?: (record: StepCallRecord) => void;
  /** Longest the waits the host asks for may add up to, per step attempt (host-resend.ts). */
  resendBudgetMs?: number;
}

/**
 * The graph's `callStep` as a signed `POST /fn/<step>`: the run's ids and the graph's attempt
 * number go in the invocation meta and the graph's per-step idempotency key in the header, so a
 * retried or resumed step that the host already ran (or is still running) is answered from the
 * host's cache instead of running twice. A call the host asks for again (it refused it, or the
 * worker running it was killed from outside) is sent again after the host's wait, within a time
 * budget (host-resend.ts); any other failure goes to the graph's step retry policy.
 */
export function stepClient(options: StepClientOptions): CallStep {
  const budgetMs = options.resendBudgetMs ?? RESEND_BUDGET_MS;
  return async (name, input, call) => {
    let waitedMs = 0;
    for (let asked = 0; ;) {
      const started = performance.now();
      try {
        const result = await options.invoke(name, input, {
          meta: {
            threadId: call.threadId,
            runId: call.runId,
            step: call.step,
            attempt: call.attempt,
          },
          idempotencyKey: call.idempotencyKey,
          timeoutMs: options.timeoutMs,
          signal: options.signal,
        });
        options.onCall?.({
          step: name,
          durationMs: Math.round(performance.now() - started),
          attempt: call.attempt,
          ok: true,
          ...usageOf(result.output),
          ...(name === 'tools' ? toolCallsOf(input, result.output) : {}),
        });
        return result.output;
      } catch (error) {
        const waitMs = resendWaitMs(error, asked, waitedMs, budgetMs);
        options.onCall?.({
          step: name,
          durationMs: Math.round(performance.now() - started),
          attempt: call.attempt,
          ok: false,
          code: stepErrorCode(error),
          ...(waitMs === undefined ? {} : { retryInMs: waitMs }),
        });
        if (!hostAsksResend(error)) throw error;
        asked += 1;
        if (waitMs === undefined || !(await waited(waitMs, options.signal))) {
          throw resendGivenUp(error, asked, waitedMs);
        }
        waitedMs += waitMs;
      }
    }
  };
}

/** Waits `ms`; false when `signal` aborts first (the orchestrator is stopping). */
function waited(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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

function toolCallsOf(input: unknown, output: unknown): Pick<StepCallRecord, 'toolCalls'> {
  const calls = ToolsInput.safeParse(input);
  const results = ToolsOutput.safeParse(output);
  if (!calls.success || !results.success) return {};
  const argsById = new Map(calls.data.toolCalls.map((call) => [call.id, call.args]));
  return {
    toolCalls: results.data.results.map((result) => ({
      tool: result.name,
      target: targetOf(argsById.get(result.id)),
      resultBytes: Buffer.byteLength(result.content),
      ok: result.ok,
      ...(result.code === undefined ? {} : { code: result.code }),
      ...(result.durationMs === undefined ? {} : { durationMs: result.durationMs }),
    })),
  };
}

/** Only `path` and `command` are named: other arguments may be file contents. */
function targetOf(args: unknown): string {
  let value = args;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return '';
    }
  }
  if (value === null || typeof value !== 'object') return '';
  const { path, command, pattern, glob } = value as Record<string, unknown>;
  const cut = (text: string): string =>
    text.length > COMMAND_CHARS ? `${text.slice(0, COMMAND_CHARS)}…` : text;
  if (typeof command === 'string') return cut(command);
  // A search: what was looked for, then where.
  if (typeof pattern === 'string' || typeof glob === 'string') {
    const what = [pattern, glob === undefined ? undefined : `[${String(glob)}]`]
      .filter((item) => typeof item === 'string')
      .join(' ');
    return cut(typeof path === 'string' && path !== '.' ? `${what} in ${path}` : what);
  }
  return typeof path === 'string' ? path : '';
}
