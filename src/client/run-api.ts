import type { Client } from '@langchain/langgraph-sdk';
import * as z from 'zod';
import { AtolyeError, errorMessage, relayedCode } from '../errors.js';
import { oneLine } from './text.js';

/**
 * The run API as a client reaches it — the CLI and the VS Code extension alike: where it is, the
 * key, the official SDK client, and every failure turned into one error the user can act on. Each
 * client words the way out in its own terms (a config key and an environment variable for the
 * CLI, a setting and a command for the extension): those words are its `hints`.
 */

export interface ApiHints {
  /** Who is asking, as a reply it cannot read names it: "CLI", "VS Code extension". */
  client: string;
  /** How to start the API or point at it, after "the run API at URL does not answer (…); ". */
  unreachable: string;
  /** How to get or set a key, after the API's own 401 message and "; ". */
  unauthorized: string;
  /** Where to look for a run whose event stream was lost. */
  seeRuns(threadId: string): string;
}

export interface Api {
  url: string;
  key: string;
  client: Client;
  hints: ApiHints;
}

const ApiErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Resolves once the API answers at all; without this an API that is down costs the SDK's retries. */
export async function checkReachable(url: string, hints: ApiHints): Promise<void> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw unreachable(url, error, hints);
  }
}

/** One SDK call, its failure turned into an error the user can act on. */
export async function call<T>(
  api: Pick<Api, 'url' | 'hints'>,
  request: () => Promise<T>,
): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw apiFailure(api, error);
  }
}

/** Anything a request to the API threw or answered, as an error the user can act on. */
export function apiFailure(api: Pick<Api, 'url' | 'hints'>, error: unknown): AtolyeError {
  if (error instanceof AtolyeError) return error;
  const status = httpStatus(error);
  if (status === undefined) {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'ConnectionError' || /fetch failed|ECONNREFUSED/.test(errorMessage(error))) {
      return unreachable(api.url, error, api.hints);
    }
    return new AtolyeError(
      'API_FAILED',
      `the run API at ${api.url} failed: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const text = (error as { text?: unknown }).text;
  let body: z.infer<typeof ApiErrorBody> | undefined;
  try {
    body = ApiErrorBody.parse(JSON.parse(String(text)));
  } catch {
    body = undefined;
  }
  const message = body?.error.message ?? `HTTP ${status}: ${oneLine(String(text ?? ''), 200)}`;
  const hint = status === 401 ? `; ${api.hints.unauthorized}` : '';
  // The API's own code, or, for an answer without its error body (a proxy's page), API_HTTP_ERROR.
  const code = body === undefined ? 'API_HTTP_ERROR' : relayedCode(body.error.code);
  return new AtolyeError(code, `${message}${hint}`, {
    retryable: status === 429 || status >= 500,
    cause: error,
  });
}

export function unreachable(url: string, error: unknown, hints: ApiHints): AtolyeError {
  return new AtolyeError(
    'API_UNREACHABLE',
    `the run API at ${url} does not answer (${errorMessage((error as { cause?: unknown })?.cause ?? error)}); ${hints.unreachable}`,
    { retryable: true, cause: error },
  );
}

export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** A reply checked against the API's own schema; a mismatch is a clear error, not a stack trace. */
export function parseReply<T extends z.ZodType>(
  api: Pick<Api, 'url' | 'hints'>,
  schema: T,
  value: unknown,
): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`)
    .join('; ');
  const client = api.hints.client;
  throw new AtolyeError(
    'API_BAD_REPLY',
    `the run API at ${api.url} answered something this ${client} does not understand (${where}); are the ${client} and the orchestrator the same version?`,
  );
}
