import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { StepOutput } from '../graph/steps.js';
import type { StepArgs } from './types.js';
import { invokeModel } from '../model/index.js';
import { toLangChainTools } from '../tools/index.js';
import { ACT_SYSTEM_PROMPT, actBrief } from '../prompts.js';
import {
  answerDanglingToolCalls,
  summaryOf,
  textOf,
  toChatMessages,
  toStored,
} from './messages.js';
import { options, type ModelStepDeps } from './plan.js';
import { stepUsage } from './usage.js';

const TOOLS = toLangChainTools();

/** The model, tools bound, picks the next tool calls, or calls `finish`. */
export async function runAct(
  input: StepArgs<'act'>,
  deps: ModelStepDeps,
): Promise<StepOutput<'act'>> {
  // Earlier runs of the thread come first, then this run's brief, then what this run did: the
  // brief sits right before the turns it governs, never above an older task's history.
  const history = answerDanglingToolCalls(toChatMessages(input.messages));
  const start = history.findLastIndex((message) => message.getType() === 'human');
  const conversation = [
    new SystemMessage(ACT_SYSTEM_PROMPT),
    ...history.slice(0, Math.max(start, 0)),
    new HumanMessage(actBrief(input.task, input.plan, input.feedback)),
    ...history.slice(start + 1),
  ];
  const reply = await invokeModel(deps.model, conversation, {
    tools: TOOLS,
    ...options(deps.signal),
  });
  const calls = (reply.message.tool_calls ?? []).map((call, index) => ({
    // Some OpenAI-compatible servers omit ids; the tool reply needs one to pair with its call.
    id: call.id ?? `call_${input.iteration}_${index}`,
    name: call.name,
    args: call.args,
  }));
  // Only what the next turn needs is kept; response metadata would bloat every later request.
  const message = new AIMessage({
    content: reply.message.content,
    tool_calls: calls.map((call) => ({ ...call, type: 'tool_call' as const })),
    ...(reply.message.id ? { id: reply.message.id } : {}),
  });
  const finishCall = calls.find((call) => call.name === 'finish');
  const finish = finishCall
    ? { summary: summaryOf(finishCall.args) || textOf(reply.message) || 'Finished.' }
    : null;
  return {
    messages: toStored([message]),
    toolCalls: finish ? [] : calls,
    finish,
    usage: stepUsage(reply.usage, deps.config),
  };
}
