import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { AtolyeError } from '../../errors.js';
import { toRunError } from './retry.js';
import type { AgentStateUpdate, AgentStateValue, UsageEntry } from './state.js';
import type { CondensedHistory, StepName, StepOutput, StepUsage } from './steps.js';
import type { RunLimits } from './stops.js';

/** What the graph's nodes share: history sent to steps, usage entries, failures, run limits. */

/**
 * What the steps are sent of the thread's history: the messages after its condensed part, and the
 * summary of that part. Requests stay bounded however long the thread grows.
 */
export function historyOf(state: AgentStateValue): {
  messages: AgentStateValue['messages'];
  condensed: CondensedHistory | null;
} {
  if (state.condensed === null) return { messages: state.messages, condensed: null };
  const { keepFrom, summary, tasks } = state.condensed;
  return { messages: state.messages.slice(keepFrom), condensed: { summary, tasks } };
}

/** The condensed part grows by what `act` condensed of the `sent` messages it was given. */
export function condensedAfter(
  state: AgentStateValue,
  sent: number,
  condensation: StepOutput<'act'>['condensation'],
): AgentStateUpdate {
  if (condensation === null) return {};
  if (condensation.dropped > sent) {
    throw new AtolyeError(
      'STEP_BAD_OUTPUT',
      `step act condensed ${condensation.dropped} messages but was sent ${sent}`,
    );
  }
  const { summary, tasks, dropped } = condensation;
  return { condensed: { summary, tasks, keepFrom: (state.condensed?.keepFrom ?? 0) + dropped } };
}

export function usageOf(step: StepName, usage: StepUsage | undefined): UsageEntry[] {
  return usage === undefined ? [] : [{ step, ...usage }];
}

export function failed(step: StepName, error: unknown, attempts: number): AgentStateUpdate {
  const runError = toRunError(step, error);
  if (attempts > 1) runError.message = `${runError.message} (after ${attempts} attempts)`;
  return { status: 'error', error: runError, pendingToolCalls: [] };
}

/**
 * The run's own limits (an assistant variant's, or the run's `config.configurable`), over the
 * configured ones; 0 is no limit, as in the configuration.
 */
export function runLimitsOf(config: LangGraphRunnableConfig): Partial<RunLimits> {
  const asked = (config.configurable?.limits ?? {}) as Partial<RunLimits>;
  const limits: Partial<RunLimits> = {};
  if (asked.maxIterations !== undefined) limits.maxIterations = asked.maxIterations;
  if (asked.maxTokens !== undefined) limits.maxTokens = asked.maxTokens || undefined;
  if (asked.maxCostUsd !== undefined) limits.maxCostUsd = asked.maxCostUsd || undefined;
  return limits;
}

/** The attempt LangGraph's retry loop is on for this node run, from 1. */
export function attemptOf(config: LangGraphRunnableConfig): number {
  const attempt = config.executionInfo?.nodeAttempt;
  return typeof attempt === 'number' && attempt >= 1 ? attempt : 1;
}
