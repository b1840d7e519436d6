import type { BaseCheckpointSaver, LangGraphRunnableConfig } from '@langchain/langgraph';
import { END, isGraphBubbleUp, START, StateGraph } from '@langchain/langgraph';
import { AtolyeError, errorMessage, isRetryable } from '../../errors.js';
import { gateCalls, mergeRejected, type ApprovalGate } from './approval-gate.js';
import {
  LANGGRAPH_JITTER_MS,
  retryDelayMs,
  stepErrorCode,
  stepRetryPolicy,
  UNDECLARED_RETRIES,
  type StepBackoff,
  type StepRetries,
} from './retry.js';
import { AgentState, type AgentStateUpdate, type AgentStateValue } from './state.js';
import {
  STEP_NAMES,
  STEP_SCHEMAS,
  type StepInput,
  type StepName,
  type StepOutput,
} from './steps.js';
import {
  attemptOf,
  condensedAfter,
  failed,
  historyOf,
  runLimitsOf,
  usageOf,
} from './node-helpers.js';
import { checkStops, DEFAULT_MAX_ITERATIONS, toolFingerprint, type RunLimits } from './stops.js';

/**
 * The agent workflow: plan ─▶ act ─┬─▶ tools ─▶ act …, └─▶ review ─┬─▶ act (feedback),
 * └─▶ finalize ─▶ END. Each node is one call to a step function through the injected `callStep`,
 * so this module knows nothing about HTTP; the orchestrator plugs in the signed invoke client.
 */

export interface StepCallOptions {
  threadId: string;
  runId: string;
  step: StepName;
  /** LangGraph's superstep number: the same for every attempt and every resume of one step. */
  superstep: number;
  /** Which attempt of the step this call is, from 1 (the step retry policy's count). */
  attempt: number;
  iteration: number;
  idempotencyKey: string;
}

/** A failed attempt of a step, and what the retry policy does about it: for the `agent` log. */
export interface StepFailure {
  step: StepName;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** The function's declared `retries` + 1. */
  maxAttempts: number;
  code: string;
  message: string;
  retryable: boolean;
  /** True when the policy tries the step again; false when this failure ends the run. */
  retrying: boolean;
  /** The wait before the next attempt (LangGraph's backoff, before its jitter); when retrying. */
  delayMs?: number;
  /** LangGraph adds a random wait of up to this much on top of `delayMs`, when jitter is on. */
  jitterUpToMs?: number;
  error: unknown;
}

export type CallStep = <N extends StepName>(
  name: N,
  input: StepInput<N>,
  options: StepCallOptions,
) => Promise<unknown>;

export interface AgentGraphOptions {
  callStep: CallStep;
  limits?: Partial<RunLimits>;
  checkpointer?: BaseCheckpointSaver;
  /** Asked before each `act`; a true answer ends the run with status `cancelled`. */
  isCancelled?: (threadId: string, runId: string) => boolean | Promise<boolean>;
  /**
   * Each step function's declared `limits.retries` (from the bundle manifest); a step left out is
   * not retried. The only retry layer of a step: nothing below it retries.
   */
  retries?: StepRetries;
  /** The backoff between attempts (intervals, jitter); how many attempts is `retries`. */
  retry?: StepBackoff;
  /** Told of every failed attempt of every step, with what the retry policy does next. */
  onStepFailure?: (failure: StepFailure) => void;
  /** Holds risky tool calls for a person's approval; without it every call runs. */
  approval?: ApprovalGate;
  /**
   * Records the thread's workspace after each step (a commit id, kept in the checkpoint), so a
   * fork from any checkpoint gets its files back; undefined when it could not.
   */
  recordWorkspace?: (threadId: string) => Promise<string | undefined>;
}

/**
 * The steps after which the workspace is recorded: the first of a task (the files as the task
 * found them) and those that can change files (`tools` writes, `review` runs the checks). After
 * `act` and `finalize` the state keeps the commit before them, which holds the same files; this
 * spares half the git work of a run.
 */
const RECORDED_AFTER: ReadonlySet<StepName> = new Set<StepName>(['plan', 'tools', 'review']);

/**
 * One key per step of one run: every attempt and every resume of the same step sends the same key,
 * so the worker host can refuse to run it twice.
 */
export function stepIdempotencyKey(
  threadId: string,
  runId: string,
  step: StepName,
  superstep: number,
): string {
  return `${threadId}:${runId}:${step}:${superstep}`;
}

/**
 * The orchestrator passes `configurable: { thread_id, run_id }`; a missing `run_id` falls back to
 * the thread, so keys stay stable within a thread.
 */
export function runIdsOf(config: LangGraphRunnableConfig): { threadId: string; runId: string } {
  const configurable = config.configurable ?? {};
  const threadId = typeof configurable.thread_id === 'string' ? configurable.thread_id : '';
  const runId = typeof configurable.run_id === 'string' ? configurable.run_id : threadId;
  return { threadId, runId };
}

type Node = (state: AgentStateValue, config: LangGraphRunnableConfig) => Promise<AgentStateUpdate>;

export function buildAgentGraph(options: AgentGraphOptions) {
  const limits: RunLimits = {
    maxIterations: options.limits?.maxIterations ?? DEFAULT_MAX_ITERATIONS,
    maxTokens: options.limits?.maxTokens,
    maxCostUsd: options.limits?.maxCostUsd,
  };
  const policies = Object.fromEntries(
    STEP_NAMES.map((name) => [
      name,
      stepRetryPolicy(options.retries?.[name] ?? UNDECLARED_RETRIES, options.retry),
    ]),
  ) as Record<StepName, ReturnType<typeof stepRetryPolicy>>;

  async function call<N extends StepName>(
    name: N,
    input: StepInput<N>,
    state: AgentStateValue,
    config: LangGraphRunnableConfig,
  ): Promise<StepOutput<N>> {
    const { threadId, runId } = runIdsOf(config);
    const model: unknown = config.configurable?.model;
    if (name !== 'tools' && typeof model === 'string') input = { ...input, model };
    const rawStep = config.metadata?.langgraph_step;
    const superstep = typeof rawStep === 'number' ? rawStep : 0;
    const raw = await options.callStep(name, input, {
      threadId,
      runId,
      step: name,
      superstep,
      attempt: attemptOf(config),
      iteration: state.iteration,
      idempotencyKey: stepIdempotencyKey(threadId, runId, name, superstep),
    });
    const parsed = STEP_SCHEMAS[name].output.safeParse(raw);
    if (!parsed.success) {
      throw new AtolyeError(
        'STEP_BAD_OUTPUT',
        `step ${name} returned output that does not match its schema: ${parsed.error.message}`,
      );
    }
    return parsed.data as StepOutput<N>;
  }

  /**
   * A retryable failure with attempts left goes back to LangGraph's retry policy, which runs the
   * node again after its backoff; any other failure, or the last attempt's, ends the run. Either
   * way the failure is reported first, with the attempt number and the wait before the next.
   */
  function guarded(name: StepName, body: Node): Node {
    const policy = policies[name];
    const maxAttempts = policy.maxAttempts ?? 1;
    return async (state, config) => {
      try {
        const update = await body(state, config);
        const commit = RECORDED_AFTER.has(name)
          ? await options.recordWorkspace?.(runIdsOf(config).threadId)
          : undefined;
        return commit === undefined ? update : { ...update, workspaceCommit: commit };
      } catch (error) {
        // An interrupt (a pause for approval) is LangGraph's to handle, not a failure.
        if (isGraphBubbleUp(error)) throw error;
        const attempt = attemptOf(config);
        const retryable = isRetryable(error);
        const retrying = retryable && attempt < maxAttempts && config.signal?.aborted !== true;
        options.onStepFailure?.({
          step: name,
          attempt,
          maxAttempts,
          code: stepErrorCode(error),
          message: errorMessage(error),
          retryable,
          retrying,
          ...(retrying
            ? {
                delayMs: retryDelayMs(policy, attempt),
                ...(policy.jitter === false ? {} : { jitterUpToMs: LANGGRAPH_JITTER_MS }),
              }
            : {}),
          error,
        });
        if (retrying) throw error;
        return failed(name, error, attempt);
      }
    };
  }

  const plan: Node = async (state, config) => {
    const output = await call('plan', { task: state.task, ...historyOf(state) }, state, config);
    return {
      taskPlan: output.plan,
      messages: output.messages,
      usage: usageOf('plan', output.usage),
      // A follow-up run on the same thread starts its own count and its own stuck history.
      iteration: 0,
      toolFingerprints: null,
      status: 'running',
      error: null,
      feedback: null,
      summary: null,
    };
  };

  const act: Node = async (state, config) => {
    const { threadId, runId } = runIdsOf(config);
    const cancelled = (await options.isCancelled?.(threadId, runId)) ?? false;
    const stop = checkStops(state, { ...limits, ...runLimitsOf(config) }, cancelled);
    if (stop !== null) return { status: stop.status, error: stop.error, pendingToolCalls: [] };
    const iteration = state.iteration + 1;
    const history = historyOf(state);
    const output = await call(
      'act',
      {
        task: state.task,
        plan: state.taskPlan,
        ...history,
        feedback: state.feedback,
        iteration,
        contextTokens: state.contextTokens,
        workspaceChanges: state.workspaceChanges,
      },
      { ...state, iteration },
      config,
    );
    return {
      iteration,
      messages: output.messages,
      pendingToolCalls: output.finish === null ? output.toolCalls : [],
      summary: output.finish?.summary ?? state.summary,
      usage: usageOf('act', output.usage),
      ...condensedAfter(state, history.messages.length, output.condensation),
      ...(output.contextTokens === undefined ? {} : { contextTokens: output.contextTokens }),
    };
  };

  const tools: Node = async (state, config) => {
    const toolCalls = state.pendingToolCalls;
    const gated = await gateCalls(toolCalls, runIdsOf(config).threadId, config, options.approval);
    const ran =
      gated.toRun.length === 0
        ? { messages: [], results: [], filesChanged: [], commandResults: [] }
        : await call(
            'tools',
            {
              toolCalls: gated.toRun,
              ...(gated.policy === 'never' ? {} : { approval: gated.policy }),
              ...(Object.keys(gated.approvals).length > 0 ? { approvals: gated.approvals } : {}),
            },
            state,
            config,
          );
    const output = mergeRejected(toolCalls, ran, gated);
    return {
      messages: output.messages,
      filesChanged: output.filesChanged,
      commandResults: output.commandResults,
      ...(output.workspaceChanges === undefined
        ? {}
        : { workspaceChanges: output.workspaceChanges }),
      pendingToolCalls: [],
      toolFingerprints: [toolFingerprint(toolCalls, output.results)],
    };
  };

  const review: Node = async (state, config) => {
    const output = await call(
      'review',
      {
        task: state.task,
        plan: state.taskPlan,
        messages: historyOf(state).messages,
        filesChanged: state.filesChanged,
        commandResults: state.commandResults,
      },
      state,
      config,
    );
    return {
      messages: output.messages,
      commandResults: output.commandResults,
      usage: usageOf('review', output.usage),
      feedback: output.done ? null : (output.feedback ?? 'the review found the task not done yet'),
      status: output.done ? 'success' : 'running',
    };
  };

  const finalize: Node = async (state, config) => {
    const output = await call(
      'finalize',
      {
        task: state.task,
        plan: state.taskPlan,
        status: state.status,
        error: state.error,
        messages: historyOf(state).messages,
        filesChanged: state.filesChanged,
        commandResults: state.commandResults,
      },
      state,
      config,
    );
    return {
      summary: output.summary,
      usage: usageOf('finalize', output.usage),
      ...(output.files === undefined ? {} : { filesChanged: output.files }),
    };
  };

  const afterError = (state: AgentStateValue): boolean => state.status === 'error';

  // The node itself decides on its last attempt (guarded), so no error handler is needed here.
  const nodeOptions = (name: StepName) => ({ retryPolicy: policies[name] });

  const graph = new StateGraph(AgentState)
    .addNode('plan', guarded('plan', plan), nodeOptions('plan'))
    .addNode('act', guarded('act', act), nodeOptions('act'))
    .addNode('tools', guarded('tools', tools), nodeOptions('tools'))
    .addNode('review', guarded('review', review), nodeOptions('review'))
    .addNode('finalize', guarded('finalize', finalize), nodeOptions('finalize'))
    .addEdge(START, 'plan')
    .addConditionalEdges('plan', (state) => (afterError(state) ? END : 'act'), ['act', END])
    .addConditionalEdges(
      'act',
      (state) => {
        if (state.status === 'error' || state.status === 'cancelled') return END;
        if (state.status !== 'running') return 'finalize';
        return state.pendingToolCalls.length > 0 ? 'tools' : 'review';
      },
      ['tools', 'review', 'finalize', END],
    )
    .addConditionalEdges('tools', (state) => (afterError(state) ? END : 'act'), ['act', END])
    .addConditionalEdges(
      'review',
      (state) => {
        if (afterError(state)) return END;
        return state.status === 'success' ? 'finalize' : 'act';
      },
      ['act', 'finalize', END],
    )
    .addEdge('finalize', END);

  return graph.compile({ checkpointer: options.checkpointer });
}

export type AgentGraph = ReturnType<typeof buildAgentGraph>;
