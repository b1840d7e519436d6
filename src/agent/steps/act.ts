import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { StepOutput } from '../graph/steps.js';
import type { StepArgs } from './types.js';
import { invokeModel, toolCallsOf } from '../model/index.js';
import { toLangChainTools } from '../tools/index.js';
import { ACT_SYSTEM_PROMPT, actBrief, withCondensedHistory } from '../prompts.js';
import { condenseHistory } from './condense.js';
import { estimateTokens } from './history-cut.js';
import {
  answerDanglingToolCalls,
  summaryOf,
  textOf,
  toChatMessages,
  toStored,
} from './messages.js';
import { callOptions, type ModelStepDeps } from './plan.js';
import { addUsage, stepUsage } from './usage.js';

const TOOLS = toLangChainTools();

/**
 * The model, tools bound, picks the next tool calls, or calls `finish`. When the history it was
 * last sent crossed the condensation threshold, the older turns are condensed first (condense.ts).
 */
export async function runAct(
  input: StepArgs<'act'>,
  deps: ModelStepDeps,
): Promise<StepOutput<'act'>> {
  const sent = toChatMessages(input.messages);
  const condensed = await condenseHistory(
    { messages: sent, condensed: input.condensed ?? null, contextTokens: input.contextTokens ?? 0 },
    deps,
  );
  // Earlier runs of the thread come first, then this run's brief, then what this run did: the
  // brief sits right before the turns it governs, never above an older task's history. Once this
  // run's own task message is condensed away, the brief opens the turns that are left.
  const history = answerDanglingToolCalls(condensed?.kept ?? sent);
  const start = history.findLastIndex((message) => message.getType() === 'human');
  const conversation = [
    new SystemMessage(
      withCondensedHistory(ACT_SYSTEM_PROMPT, condensed?.condensation ?? input.condensed ?? null),
    ),
    ...history.slice(0, Math.max(start, 0)),
    new HumanMessage(
      actBrief(input.task, input.plan, input.feedback, input.workspaceChanges ?? null),
    ),
    ...history.slice(start + 1),
  ];
  const reply = await invokeModel(deps.model, conversation, {
    tools: TOOLS,
    ...callOptions(deps),
  });
  // Some OpenAI-compatible servers omit ids; the tool reply needs one to pair with its call.
  // Unusable arguments (not JSON, nested too deep) are dropped here, at the boundary, and the
  // call's observation says why: `tools` answers it without running it.
  const calls = toolCallsOf(reply.message, (index) => `call_${input.iteration}_${index}`);
  // Only what the next turn needs is kept; response metadata would bloat every later request.
  const message = new AIMessage({
    content: reply.message.content,
    tool_calls: calls.map(({ id, name, args }) => ({ id, name, args, type: 'tool_call' as const })),
    ...(reply.message.id ? { id: reply.message.id } : {}),
  });
  const finishCall = calls.find((call) => call.name === 'finish' && call.refused === undefined);
  const finish = finishCall
    ? { summary: summaryOf(finishCall.args) || textOf(reply.message) || 'Finished.' }
    : null;
  // A server that reports no usage still gets its history condensed, by the usual estimate.
  const contextTokens = reply.usage.inputTokens || estimateTokens(conversation);
  const usage = stepUsage(reply.usage, deps.config);
  const summaryUsage = condensed?.condensation.usage;
  return {
    messages: toStored([message]),
    toolCalls: finish ? [] : calls,
    finish,
    usage: summaryUsage ? addUsage(summaryUsage, usage) : usage,
    condensation: condensed ? { ...condensed.condensation, tokensAfter: contextTokens } : null,
    contextTokens,
  };
}
