import { Client } from '@langchain/langgraph-sdk';
import * as z from 'zod';
import { loadConfig } from '../config/index.js';
import { readOrchestratorState } from '../deploy/local/orchestrator.js';
import { AtolyeError, errorMessage } from '../errors.js';
import type { CliContext } from './context.js';
import { oneLine } from './run-progress.js';

/** The CLI's way to the run API: where it is, the key, and failures as errors a user can act on. */

export interface Api {
  url: string;
  key: string;
  client: Client;
}

const ApiErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/**
 * Where the API is and the key to use: `api.url`, else the URL of the local orchestrator that
 * `npm run deploy` started, else `api.port` on loopback. Answers only once the API does.
 */
export async function connect(cli: CliContext): Promise<Api> {
  const { config } = loadConfig({ overrides: cli.overrides() });
  const url = (
    config.api.url ||
    readOrchestratorState(config)?.url ||
    `http://127.0.0.1:${config.api.port}`
  ).replace(/\/+$/, '');
  const key = config.api.key;
  if (key === '') {
    throw new AtolyeError(
      'API_KEY_MISSING',
      'no API key for the run API: create one with `npx atolye keys create --name me`, then `export ATOLYE_API_KEY=...` (or set api.key)',
    );
  }
  try {
    // Without this probe an API that is down costs the SDK's retries (tens of seconds) to report.
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw unreachable(url, error);
  }
  return { url, key, client: new Client({ apiUrl: url, apiKey: key }) };
}

/** One SDK call, its failure turned into an error the user can act on. */
export async function call<T>(api: Api, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw apiFailure(api.url, error);
  }
}

/** A request the SDK has no call for (workspace files), with the same key and errors. */
export async function apiFetch(api: Api, path: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${api.url}${path}`, { headers: { 'x-api-key': api.key } });
  } catch (error) {
    throw unreachable(api.url, error);
  }
  if (!response.ok)
    throw apiFailure(api.url, { status: response.status, text: await response.text() });
  return response;
}

export function apiFailure(url: string, error: unknown): AtolyeError {
  if (error instanceof AtolyeError) return error;
  const status = httpStatus(error);
  if (status === undefined) {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'ConnectionError' || /fetch failed|ECONNREFUSED/.test(errorMessage(error))) {
      return unreachable(url, error);
    }
    return new AtolyeError('API_FAILED', `the run API at ${url} failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const text = (error as { text?: unknown }).text;
  let body: z.infer<typeof ApiErrorBody> | undefined;
  try {
    body = ApiErrorBody.parse(JSON.parse(String(text)));
  } catch {
    body = undefined;
  }
  const message = body?.error.message ?? `HTTP ${status}: ${oneLine(String(text ?? ''), 200)}`;
  const hint =
    status === 401
      ? '; check api.key / ATOLYE_API_KEY, or create a key with `npx atolye keys create --name me`'
      : '';
  return new AtolyeError(body?.error.code ?? `HTTP_${status}`, `${message}${hint}`, {
    retryable: status === 429 || status >= 500,
    cause: error,
  });
}

function unreachable(url: string, error: unknown): AtolyeError {
  return new AtolyeError(
    'API_UNREACHABLE',
    `the run API at ${url} does not answer (${errorMessage((error as { cause?: unknown })?.cause ?? error)}); start it with \`npm run deploy\`, or point api.url / ATOLYE_API_URL at it`,
    { retryable: true, cause: error },
  );
}

export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** A reply checked against the API's own schema; a mismatch is a clear error, not a stack trace. */
export function parseReply<T extends z.ZodType>(api: Api, schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`)
    .join('; ');
  throw new AtolyeError(
    'API_BAD_REPLY',
    `the run API at ${api.url} answered something this CLI does not understand (${where}); are the CLI and the orchestrator the same version?`,
  );
}
