import type { ReplyTurn, Usage } from './script.js';

/** The part of a chat.completions request the mock reads. */
export interface ChatRequest {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  messages: Array<{ role: string; content?: unknown }>;
}

export interface OpenAiUsage extends Usage {
  total_tokens: number;
}

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Everything one reply needs, computed once for both the plain and the streamed form. */
export interface PreparedReply {
  id: string;
  created: number;
  model: string;
  content: string | null;
  toolCalls: ToolCall[];
  finishReason: 'stop' | 'tool_calls';
  usage: OpenAiUsage;
}

/** The text of a message, whether its content is a string or an array of parts. */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) =>
      part !== null &&
      typeof part === 'object' &&
      typeof (part as { text?: unknown }).text === 'string'
        ? (part as { text: string }).text
        : '',
    )
    .join('');
}

/** Characters / 4, rounded up: deterministic, so clients never need a tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function prepareReply(
  turn: ReplyTurn,
  request: ChatRequest,
  options: { sequence: number; model: string },
): PreparedReply {
  const toolCalls: ToolCall[] = (turn.reply.tool_calls ?? []).map((call, index) => ({
    id: `call_mock_${options.sequence}_${index}`,
    type: 'function',
    function: {
      name: call.name,
      arguments:
        typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
  const content = turn.reply.content ?? null;
  const usage = turn.usage ?? {
    prompt_tokens: estimateTokens(
      request.messages.map((message) => messageText(message.content)).join('\n'),
    ),
    completion_tokens: estimateTokens(
      (content ?? '') +
        toolCalls.map((call) => call.function.name + call.function.arguments).join(''),
    ),
  };
  return {
    id: `chatcmpl-mock-${options.sequence}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model ?? options.model,
    content,
    toolCalls,
    finishReason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/** The non-streaming `chat.completion` body. */
export function completionBody(reply: PreparedReply): object {
  return {
    id: reply.id,
    object: 'chat.completion',
    created: reply.created,
    model: reply.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: reply.content,
          ...(reply.toolCalls.length > 0 ? { tool_calls: reply.toolCalls } : {}),
        },
        finish_reason: reply.finishReason,
        logprobs: null,
      },
    ],
    usage: reply.usage,
  };
}

/**
 * The `chat.completion.chunk` objects of a streamed reply: role, content in a few pieces, each
 * tool call (name first, then its arguments in pieces), the finish reason, and the usage chunk.
 */
export function completionChunks(reply: PreparedReply, includeUsage: boolean): object[] {
  const chunk = (delta: object, finishReason: string | null = null): object => ({
    id: reply.id,
    object: 'chat.completion.chunk',
    created: reply.created,
    model: reply.model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  });
  const chunks: object[] = [chunk({ role: 'assistant', content: '' })];
  for (const piece of splitInPieces(reply.content ?? '', 3)) chunks.push(chunk({ content: piece }));
  reply.toolCalls.forEach((call, index) => {
    chunks.push(
      chunk({
        tool_calls: [
          {
            index,
            id: call.id,
            type: 'function',
            function: { name: call.function.name, arguments: '' },
          },
        ],
      }),
    );
    for (const piece of splitInPieces(call.function.arguments, 2)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  chunks.push(chunk({}, reply.finishReason));
  if (includeUsage) {
    chunks.push({
      id: reply.id,
      object: 'chat.completion.chunk',
      created: reply.created,
      model: reply.model,
      choices: [],
      usage: reply.usage,
    });
  }
  return chunks;
}

/** Splits text into at most `count` non-empty pieces that join back to it. */
export function splitInPieces(text: string, count: number): string[] {
  if (text.length === 0) return [];
  const size = Math.ceil(text.length / count);
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size)
    pieces.push(text.slice(start, start + size));
  return pieces;
}

/** An OpenAI-style error body, which the openai SDK turns into a typed APIError. */
export function errorBody(message: string, code: string, type = 'invalid_request_error'): object {
  return { error: { message, type, param: null, code } };
}
