import type { AIMessage, BaseMessageLike } from '@langchain/core/messages';
import type { ChatOpenAI } from '@langchain/openai';
import { AtolyeError } from '../../errors.js';
import { classifyModelError } from './errors.js';
import { usageOf, type TokenUsage } from './usage.js';

/** What `bindTools` takes: OpenAI function JSON schemas, LangChain tools or zod-described tools. */
export type ModelTools = Parameters<ChatOpenAI['bindTools']>[0];

export interface InvokeOptions {
  tools?: ModelTools;
  /** Cancels the call (a cancelled run); the call also ends by itself after the model's timeout. */
  signal?: AbortSignal;
}

export interface ModelReply {
  message: AIMessage;
  usage: TokenUsage;
  durationMs: number;
}

/**
 * One model call. The model's `timeout` bounds each HTTP attempt; this bounds the whole call,
 * retries included, so a step never waits longer than `timeoutMs`. Every failure is an
 * AtolyeError (classifyModelError).
 */
export async function invokeModel(
  model: ChatOpenAI,
  messages: BaseMessageLike[],
  options: InvokeOptions = {},
): Promise<ModelReply> {
  const timeoutMs = model.timeout ?? 120_000;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const runnable =
    options.tools && options.tools.length > 0 ? model.bindTools(options.tools) : model;
  const started = performance.now();
  let message: AIMessage;
  try {
    message = await runnable.invoke(messages, { signal });
  } catch (error) {
    if (options.signal?.aborted) {
      throw new AtolyeError('MODEL_CANCELLED', 'The model call was cancelled.', { cause: error });
    }
    if (deadline.aborted) {
      throw new AtolyeError(
        'MODEL_TIMEOUT',
        `The model server did not answer within ${timeoutMs} ms: retry, or raise model.timeoutMs`,
        { retryable: true, cause: error },
      );
    }
    throw classifyModelError(error);
  }
  const durationMs = performance.now() - started;
  // Tool calls whose arguments are not JSON stay in `invalid_tool_calls`: a malformed call is
  // something the model corrects once told (toolCallsOf), not a failed step.
  return { message, usage: usageOf(message), durationMs };
}
