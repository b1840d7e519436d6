import { HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatOpenAI } from '@langchain/openai';
import * as z from 'zod';
import type { AtolyeConfig } from '../../config/schema.js';
import { AtolyeError } from '../../errors.js';
import type { StepOutput, StepUsage } from '../graph/steps.js';
import type { StepArgs } from './types.js';
import { invokeModel, type InvokeOptions, type ModelRetryEvent } from '../model/index.js';
import { PLAN_SYSTEM_PROMPT, planCorrection, withCondensedHistory } from '../prompts.js';
import { parseJsonReply } from './json-reply.js';
import { answerDanglingToolCalls, textOf, toChatMessages, toStored } from './messages.js';
import { addUsage, stepUsage } from './usage.js';

/** Where a model step reports what happened inside it: the handler's `ctx.log`, in a function. */
export interface StepLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface ModelStepDeps {
  model: ChatOpenAI;
  config: Pick<AtolyeConfig, 'model'>;
  signal?: AbortSignal;
  /** Gets one line per model request sent again at the server's request (`agent` channel). */
  log?: StepLog;
}

/** What the planner must answer; checks may be left out when nothing can prove the task. */
const PlanReply = z.object({
  steps: z.array(z.string().min(1)).min(1),
  checks: z.array(z.string().min(1)).default([]),
});

/** Task → a short plan and the checks that prove it done. One corrective retry, then an error. */
export async function runPlan(
  input: StepArgs<'plan'>,
  deps: ModelStepDeps,
): Promise<StepOutput<'plan'>> {
  const conversation: BaseMessage[] = [
    new SystemMessage(withCondensedHistory(PLAN_SYSTEM_PROMPT, input.condensed ?? null)),
    ...answerDanglingToolCalls(toChatMessages(input.messages)),
    new HumanMessage(input.task),
  ];
  let usage: StepUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  let problem = '';
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const reply = await invokeModel(deps.model, conversation, callOptions(deps));
    usage = addUsage(usage, stepUsage(reply.usage, deps.config));
    const parsed = parseJsonReply(textOf(reply.message), PlanReply);
    // The task opens the run's part of the thread history: a follow-up run sees earlier tasks.
    if (parsed.ok)
      return { plan: parsed.value, messages: toStored([new HumanMessage(input.task)]), usage };
    problem = parsed.problem;
    conversation.push(reply.message, new HumanMessage(planCorrection(problem)));
  }
  throw new AtolyeError(
    'MODEL_BAD_REPLY',
    `The model did not answer the planner with a JSON plan twice (${problem}); retry, or use a model that follows JSON instructions`,
    { retryable: true },
  );
}

/** The cancellation signal and the retry log line every model call of a step shares. */
export function callOptions(deps: ModelStepDeps): Pick<InvokeOptions, 'signal' | 'onRetry'> {
  const { log } = deps;
  return {
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(log
      ? {
          onRetry: (event: ModelRetryEvent) =>
            log.warn(
              `model request ${event.request} of ${event.maxRequests} failed (${event.status ?? 'no status'} ${event.code}); the server asked for a retry (${event.reason}), retrying in ${event.delayMs} ms`,
              { ...event },
            ),
        }
      : {}),
  };
}
