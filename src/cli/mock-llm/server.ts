import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { AtolyeError, errorMessage } from '../../errors.js';
import {
  completionBody,
  completionChunks,
  errorBody,
  messageText,
  prepareReply,
  type ChatRequest,
} from './completion.js';
import { parseScript, type Script, type ScriptInput, type Turn } from './script.js';

export interface MockLlmOptions {
  /** A parsed script, or the JSON value of one (validated here). */
  script: Script | ScriptInput;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to loopback. */
  host?: string;
  /** When set, every model request must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

/** One request the server received, kept for test assertions. */
export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface MockLlm {
  /** The base URL for an OpenAI client, ending in `/v1`. */
  url: string;
  /** Requests to the model routes so far, oldest first (cleared by `reset`). */
  requests: RecordedRequest[];
  /** Starts the script over and forgets the requests, like `POST /__mock/reset`. */
  reset(): void;
  close(): Promise<void>;
  /** Settles once the server has stopped, however it was stopped. */
  closed: Promise<void>;
}

const chatRequestSchema = z.looseObject({
  model: z.string().optional(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown() })).min(1),
});

const MAX_BODY_BYTES = 16 * 1024 * 1024;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Starts an OpenAI-compatible server that replays `script`, one turn per chat completion. */
export async function startMockLlm(options: MockLlmOptions): Promise<MockLlm> {
  const script = parseScript(options.script);
  const requests: RecordedRequest[] = [];
  let cursor = 0;
  let sequence = 0;
  const reset = (): void => {
    cursor = 0;
    requests.length = 0;
  };

  const chat = (request: ChatRequest, res: ServerResponse): void => {
    const turn: Turn | undefined = script.turns[cursor] ?? script.fallback;
    if (turn === undefined) {
      throw new HttpProblem(
        409,
        'mock_script_exhausted',
        `mock-llm script has no turn left: all ${script.turns.length} turns were served and there is no fallback`,
      );
    }
    checkMatch(turn, request, cursor);
    if (cursor < script.turns.length) cursor += 1;
    sequence += 1;
    const reply = prepareReply(turn, request, { sequence, model: script.model });
    if (!request.stream) {
      sendJson(res, 200, completionBody(reply));
      return;
    }
    const includeUsage = request.stream_options?.include_usage ?? true;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    for (const chunk of completionChunks(reply, includeUsage)) {
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://mock').pathname.replace(/\/+$/, '') || '/';
    const route = `${req.method ?? 'GET'} ${path}`;
    if (route === 'POST /__mock/reset') {
      reset();
      sendJson(res, 200, { reset: true });
      return;
    }
    if (route === 'GET /__mock/requests') {
      sendJson(res, 200, { requests });
      return;
    }
    const isChat = route === 'POST /v1/chat/completions' || route === 'POST /chat/completions';
    const isModels = route === 'GET /v1/models' || route === 'GET /models';
    if (!isChat && !isModels) {
      throw new HttpProblem(404, 'not_found', `mock-llm has no route ${route}`);
    }
    const body = isChat ? await readJson(req) : undefined;
    requests.push({ method: req.method ?? 'GET', path, body });
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      throw new HttpProblem(401, 'invalid_api_key', 'Incorrect API key provided to mock-llm.');
    }
    if (isModels) {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: script.model, object: 'model', created: 0, owned_by: 'atolye-mock-llm' }],
      });
      return;
    }
    const parsed = chatRequestSchema.safeParse(body);
    if (!parsed.success) {
      throw new HttpProblem(
        400,
        'invalid_request',
        `not a chat completion request: ${parsed.error.issues
          .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
          .join('; ')}`,
      );
    }
    chat({ ...parsed.data, stream: parsed.data.stream ?? false }, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpProblem) {
        sendJson(res, error.status, errorBody(error.message, error.code));
        return;
      }
      sendJson(res, 500, errorBody(errorMessage(error), 'mock_internal_error', 'server_error'));
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new AtolyeError(
          'MOCK_LLM_LISTEN_FAILED',
          `mock-llm cannot listen on ${host}:${options.port ?? 0}: ${errorMessage(error)}`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/v1`,
    requests,
    reset,
    closed,
    close: async () => {
      if (server.listening) {
        server.close();
        server.closeAllConnections();
      }
      await closed;
    },
  };
}

/** A scripted `match` is checked against the last message so a wrong conversation fails loudly. */
function checkMatch(turn: Turn, request: ChatRequest, index: number): void {
  if (turn.match === undefined) return;
  const last = request.messages.at(-1);
  const role = last?.role ?? '(none)';
  const text = messageText(last?.content);
  const problems: string[] = [];
  if (turn.match.role !== undefined && turn.match.role !== role) {
    problems.push(`expected the last message role "${turn.match.role}", received "${role}"`);
  }
  if (turn.match.contains !== undefined && !text.includes(turn.match.contains)) {
    problems.push(
      `expected the last message to contain ${JSON.stringify(turn.match.contains)}, received ${JSON.stringify(text)}`,
    );
  }
  if (problems.length > 0) {
    throw new HttpProblem(
      409,
      'mock_script_mismatch',
      `mock-llm script turn ${index} does not match: ${problems.join('; ')}`,
    );
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpProblem(413, 'body_too_large', 'request body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpProblem(400, 'invalid_json', `request body is not JSON: ${errorMessage(error)}`);
  }
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // The openai SDK honours this: a scripted failure is final, retrying cannot fix it.
    ...(status >= 400 ? { 'x-should-retry': 'false' } : {}),
  });
  res.end(text);
}
