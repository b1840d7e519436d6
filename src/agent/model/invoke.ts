import type { AIMessage, BaseMessageLike } from '@langchain/core/messages';
import type { ChatOpenAI } from '@langchain/openai';
import { setTimeout as delay } from 'node:timers/promises';
import { AtolyeError } from '../../errors.js';
import { classifyModelError } from './errors.js';
import {
  MODEL_REQUEST_RETRIES,
  MODEL_RETRY_WAIT_CAP_MS,
  retryDirection,
  type ModelRetryEvent,
  type RetryDirection,
} from './retry.js';
import { usageOf, type TokenUsage } from './usage.js';

/** What `bindTools` takes: OpenAI function JSON schemas, LangChain tools or zod-described tools. */
export type ModelTools = Parameters<ChatOpenAI['bindTools']>[0];

export interface InvokeOptions {
  tools?: ModelTools;
  /** Cancels the call (a cancelled run); the call also ends by itself after the model's timeout. */
  signal?: AbortSignal;
  /** Told before each request the call sends again because the server asked it to. */
  onRetry?: (event: ModelRetryEvent) => void;
}

export interface ModelReply {
  message: AIMessage;
  usage: TokenUsage;
  durationMs: number;
  /** Requests the call made: 1, or more when the server asked for a retry. */
  requests: number;
}

/**
 * One model call. ChatOpenAI makes one request per attempt (`maxRetries: 0`); another request
 * follows only when the server says so (agent/model/retry.ts), at most MODEL_REQUEST_RETRIES
 * times. The model's `timeout` bounds the whole call, waits included, so a step never waits longer
 * than `timeoutMs`. Every failure is an AtolyeError (classifyModelError); one the server asked to
 * retry, and that still fails, is not `retryable`, so the step retry policy does not repeat what
 * this call already did.
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
  const maxRequests = MODEL_REQUEST_RETRIES + 1;
  for (let request = 1; ; request += 1) {
    let message: AIMessage;
    try {
      message = await runnable.invoke(messages, { signal });
    } catch (error) {
      const stopped = stoppedError(error, options.signal, deadline, timeoutMs);
      if (stopped) throw stopped;
      const classified = classifyModelError(error);
      const direction = retryDirection(error, request - 1);
      if (direction === undefined) {
        // A server that asked for retries and then stops asking: this call already retried.
        throw request > 1 ? final(classified, request, error) : classified;
      }
      const refusal = refuseRetry(direction, request, maxRequests, started, timeoutMs);
      if (refusal !== undefined) throw final(classified, request, error, refusal);
      options.onRetry?.({
        request,
        maxRequests,
        status: direction.status,
        code: classified.code,
        message: classified.message,
        reason: direction.reason,
        delayMs: direction.delayMs,
      });
      try {
        await delay(direction.delayMs, undefined, { signal });
      } catch (waitError) {
        throw stoppedError(waitError, options.signal, deadline, timeoutMs) ?? waitError;
      }
      continue;
    }
    // Tool calls whose arguments are not JSON stay in `invalid_tool_calls`: a malformed call is
    // something the model corrects once told (toolCallsOf), not a failed step.
    return {
      message,
      usage: usageOf(message),
      durationMs: performance.now() - started,
      requests: request,
    };
  }
}

/** Why the server's request for another try is not honoured; undefined when it is. */
function refuseRetry(
  direction: RetryDirection,
  request: number,
  maxRequests: number,
  started: number,
  timeoutMs: number,
): string | undefined {
  if (request >= maxRequests) return `the server still refused after ${request} requests`;
  const seconds = (ms: number): string => `${Math.ceil(ms / 1_000)} s`;
  if (direction.delayMs > MODEL_RETRY_WAIT_CAP_MS) {
    return `the server asked to wait ${seconds(direction.delayMs)}, more than the ${seconds(MODEL_RETRY_WAIT_CAP_MS)} a call waits`;
  }
  const left = timeoutMs - (performance.now() - started);
  if (direction.delayMs >= left) {
    return `the server asked to wait ${seconds(direction.delayMs)}, past the call's model.timeoutMs of ${timeoutMs} ms`;
  }
  return undefined;
}

/**
 * The error of a call whose retries the server directed: not `retryable`, since retrying the step
 * would repeat requests the server has already refused.
 */
function final(
  classified: AtolyeError,
  requests: number,
  cause: unknown,
  refusal?: string,
): AtolyeError {
  const detail = refusal ?? `it failed after ${requests} requests`;
  return new AtolyeError(
    classified.code,
    `${classified.message}; ${detail}, so the step is not retried: wait, then run the task again`,
    { retryable: false, cause },
  );
}

/** A cancelled or timed-out call, whatever the request was doing; undefined otherwise. */
function stoppedError(
  error: unknown,
  callerSignal: AbortSignal | undefined,
  deadline: AbortSignal,
  timeoutMs: number,
): AtolyeError | undefined {
  if (callerSignal?.aborted) {
    return new AtolyeError('MODEL_CANCELLED', 'The model call was cancelled.', { cause: error });
  }
  if (deadline.aborted) {
    return new AtolyeError(
      'MODEL_TIMEOUT',
      `The model server did not answer within ${timeoutMs} ms: retry, or raise model.timeoutMs`,
      { retryable: true, cause: error },
    );
  }
  return undefined;
}
