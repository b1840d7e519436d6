import {
  AIMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  type BaseMessage,
} from '@langchain/core/messages';
import { errorCodeOf, errorMessage, isRetryable } from '../../errors.js';
import type { Condensation, CondensedHistory, StepUsage } from '../graph/steps.js';
import { invokeModel } from '../model/index.js';
import { CONDENSE_SYSTEM_PROMPT, condenseRequest } from '../prompts.js';
import { capText } from '../tools/index.js';
import { cutIndex, sizeOfAll, tasksIn } from './history-cut.js';
import { textOf } from './messages.js';
import { callOptions, type ModelStepDeps } from './plan.js';
import { stepUsage } from './usage.js';

/**
 * Context condensation: once the model reports that the history it was sent fills
 * `model.condenseAt` of `model.contextTokens`, the older turns are replaced by a summary the model
 * writes in one more call. The newest turns stay word for word, and so does every task the user
 * gave, so a run on a large repository goes on however long its history grows.
 */

/**
 * Share of the threshold the turns kept word for word may fill: the rest is room for the history
 * to grow again before the next condensation.
 */
const KEEP_SHARE = 0.5;
/** Bytes of one message the summarizer reads: head and tail of a long tool output. */
const TRANSCRIPT_MESSAGE_BYTES = 4_000;
/** Tasks listed word for word; older ones live on in the summary only. */
const MAX_TASKS = 20;
/** Bytes of one task in that list. */
const TASK_BYTES = 1_000;
/** Lines of the digest that stands in for a summary the model could not write. */
const DIGEST_LINES = 60;
/**
 * Failures of the summary call that retrying cannot fix and that need not fail the act call too:
 * the digest stands in. Retryable failures are thrown for the step's retry policy, and a rejected
 * key or a cancelled run ends the step as any model call would.
 */
const DIGEST_ON = new Set(['MODEL_ERROR', 'MODEL_BAD_REPLY']);

export interface CondenseInput {
  /** The history the step was sent, after the part condensed before. */
  messages: readonly BaseMessage[];
  condensed: CondensedHistory | null;
  /** Input tokens the model reported for the thread's latest act call. */
  contextTokens: number;
}

export interface Condensed {
  /** What the state and the log get; `tokensAfter` is known once the next call reported it. */
  condensation: Omit<Condensation, 'tokensAfter'>;
  /** The messages from the cut on, sent word for word. */
  kept: BaseMessage[];
}

/** The threshold in tokens: `condenseAt` of the model's context. */
function condenseThreshold(model: ModelStepDeps['config']['model']): number {
  return Math.floor(model.contextTokens * model.condenseAt);
}

/** Condenses the older turns when the history crossed the threshold; null when it did not. */
export async function condenseHistory(
  input: CondenseInput,
  deps: ModelStepDeps,
): Promise<Condensed | null> {
  const threshold = condenseThreshold(deps.config.model);
  if (input.contextTokens === 0 || input.contextTokens < threshold) return null;
  // Characters per token as the model's own count says, so the budget holds for code, prose and
  // non-Latin text alike; the system prompt and tool schemas make it err on keeping less.
  const charsPerToken = sizeOfAll(input.messages) / input.contextTokens;
  const cut = cutIndex(input.messages, threshold * KEEP_SHARE * charsPerToken);
  if (cut === null) return null;
  const dropped = input.messages.slice(0, cut);
  const previous = input.condensed;
  const tasks = [
    ...(previous?.tasks ?? []),
    ...tasksIn(dropped).map((task) => capText(task, TASK_BYTES).text),
  ].slice(-MAX_TASKS);
  const written = await summarize(dropped, previous?.summary ?? null, deps);
  const summary = written.summary || digestOf(dropped, previous?.summary ?? null);
  return {
    condensation: {
      summary,
      tasks,
      dropped: cut,
      source: written.summary ? 'model' : 'digest',
      ...(written.problem ? { problem: written.problem } : {}),
      tokensBefore: input.contextTokens,
      ...(written.usage ? { usage: written.usage } : {}),
    },
    kept: input.messages.slice(cut),
  };
}

/** The log line's fields: the summary, what it condensed and the tokens it saved. */
export function condensationLogFields(condensation: Condensation): Record<string, unknown> {
  const { summary, tasks, dropped, source, problem, tokensBefore, tokensAfter, usage } =
    condensation;
  return {
    messagesCondensed: dropped,
    tasks: tasks.length,
    source,
    ...(problem ? { problem } : {}),
    tokensBefore,
    tokensAfter,
    // Reported input tokens of the last call before and the first call after: a lower bound of
    // what the summary saves, since the turn in between added its own tool replies.
    tokensSaved: tokensBefore - tokensAfter,
    ...(usage
      ? {
          summaryInputTokens: usage.inputTokens,
          summaryOutputTokens: usage.outputTokens,
          summaryCostUsd: usage.costUsd,
        }
      : {}),
    summary,
  };
}

interface Written {
  /** "" when the model wrote none. */
  summary: string;
  problem?: string;
  usage?: StepUsage;
}

async function summarize(
  messages: readonly BaseMessage[],
  previousSummary: string | null,
  deps: ModelStepDeps,
): Promise<Written> {
  try {
    const reply = await invokeModel(
      deps.model,
      [
        new SystemMessage(CONDENSE_SYSTEM_PROMPT),
        new HumanMessage(condenseRequest(previousSummary, transcriptOf(messages))),
      ],
      callOptions(deps),
    );
    const usage = stepUsage(reply.usage, deps.config);
    const summary = textOf(reply.message).trim();
    return summary
      ? { summary, usage }
      : { summary: '', problem: 'the model answered with an empty summary', usage };
  } catch (error) {
    const code = errorCodeOf(error);
    if (code === undefined || !DIGEST_ON.has(code) || isRetryable(error)) throw error;
    return { summary: '', problem: `${code}: ${errorMessage(error)}` };
  }
}

/** The turns as the summarizer reads them: one line per message or tool call. */
function transcriptOf(messages: readonly BaseMessage[]): string {
  const cap = (text: string): string => capText(text, TRANSCRIPT_MESSAGE_BYTES).text;
  return messages
    .flatMap((message) => {
      if (HumanMessage.isInstance(message)) return [`[user] ${cap(textOf(message))}`];
      if (ToolMessage.isInstance(message)) {
        return [`[tool reply${message.name ? ` of ${message.name}` : ''}] ${cap(textOf(message))}`];
      }
      if (AIMessage.isInstance(message)) {
        const text = textOf(message);
        return [
          ...(text ? [`[assistant] ${cap(text)}`] : []),
          ...(message.tool_calls ?? []).map(
            (call) => `[assistant calls ${call.name}] ${cap(JSON.stringify(call.args ?? {}))}`,
          ),
        ];
      }
      return [`[${message.getType()}] ${cap(textOf(message))}`];
    })
    .join('\n');
}

/**
 * What stands in for a summary the model could not write: the tasks and calls of the condensed
 * turns with the first line of each reply, newest kept when there are many.
 */
function digestOf(messages: readonly BaseMessage[], previousSummary: string | null): string {
  const lines = messages.flatMap((message) => {
    if (HumanMessage.isInstance(message)) return [`- The user asked: ${firstLine(message, 200)}`];
    if (ToolMessage.isInstance(message)) return [`  → ${firstLine(message, 160)}`];
    if (AIMessage.isInstance(message)) {
      return (message.tool_calls ?? []).map(
        (call) => `- Called ${call.name} ${clip(JSON.stringify(call.args ?? {}), 120)}`,
      );
    }
    return [];
  });
  const omitted = Math.max(0, lines.length - DIGEST_LINES);
  return [
    'No summary could be written; the condensed turns made these calls' +
      (omitted > 0 ? ` (the last ${DIGEST_LINES} lines; ${omitted} earlier ones left out)` : '') +
      ':',
    ...lines.slice(omitted),
    ...(previousSummary
      ? [`Before those turns:\n${capText(previousSummary, TRANSCRIPT_MESSAGE_BYTES).text}`]
      : []),
  ].join('\n');
}

function firstLine(message: BaseMessage, chars: number): string {
  return clip(textOf(message).trim().split('\n', 1)[0] ?? '', chars);
}

function clip(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}…` : text;
}
