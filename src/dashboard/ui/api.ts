import { Client } from '@langchain/langgraph-sdk';
import type { Api } from '../../client/run-api.js';
import { AtolyeError } from '../../errors.js';

const KEY_ITEM = 'atolye.apiKey';
const WHO_ITEM = 'atolye.identity';

/** Who the signed-in key is (`GET /dashboard/api/me`): what the page shows or hides. */
export interface Identity {
  name: string;
  team: string | null;
  /** Sees the system page and every log line; the API enforces it, the page only follows. */
  admin: boolean;
}

/** An API refusal in the API's own words (`{ error: { code, message } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

export function storedIdentity(): Identity | null {
  const stored = sessionStorage.getItem(WHO_ITEM);
  return stored === null ? null : (JSON.parse(stored) as Identity);
}

/** Keeps the key (and who it is) for this tab; null signs out. */
export function storeKey(key: string | null, identity?: Identity): void {
  if (key === null) {
    sessionStorage.removeItem(KEY_ITEM);
    sessionStorage.removeItem(WHO_ITEM);
    return;
  }
  sessionStorage.setItem(KEY_ITEM, key);
  if (identity) sessionStorage.setItem(WHO_ITEM, JSON.stringify(identity));
}

/** A request to this origin with the signed-in key; a refusal becomes an ApiError. */
export async function request(
  path: string,
  init: RequestInit = {},
  key = storedKey(),
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key) headers.set('x-api-key', key);
  // JSON unless the caller says otherwise (an archive upload names its own type).
  if (init.body !== undefined && !headers.has('content-type')) {
    headers.set('content-type', 'application/json');
  }
  const response = await fetch(path, { ...init, headers });
  if (response.ok) return response;
  throw await refusal(response);
}

export async function getJson<T>(path: string, init: RequestInit = {}, key?: string): Promise<T> {
  const response = await request(path, init, key);
  return (await response.json()) as T;
}

async function refusal(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) {
      return new ApiError(response.status, body.error.code ?? 'ERROR', body.error.message);
    }
  } catch {
    // Not the API's JSON error: the status line and text say what there is to say.
  }
  return new ApiError(response.status, 'HTTP_ERROR', `${response.status} ${text.slice(0, 200)}`);
}

/** The official SDK, pointed at this origin: the page is one more client of the run API. */
export function sdk(): Client {
  return new Client({ apiUrl: location.origin, apiKey: storedKey() ?? undefined });
}

/**
 * The page as a client of the code it shares with the CLI (`src/client/`): that code turns a
 * failure into an error whose cause is the SDK's, which `messageOf` reads in the page's words.
 */
export function clientApi(): Api {
  return {
    url: location.origin,
    key: storedKey() ?? '',
    client: sdk(),
    hints: {
      client: 'dashboard',
      unreachable: 'check that the orchestrator is running, then reload the page',
      unauthorized: 'sign out and sign in again with a valid key',
      seeRuns: () => 'the Runs page lists the runs',
    },
  };
}

/**
 * The API's refusal in `error`, whether it came from `request` (an ApiError), from the SDK
 * (an HTTPError carrying the status and the body's text) or from the shared client code (an
 * error caused by one of those); undefined for anything else.
 */
export function refusalOf(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof AtolyeError && error.cause !== undefined) {
    return refusalOf(error.cause);
  }
  if (!(error instanceof Error) || !('status' in error) || !('text' in error)) return undefined;
  const { status, text } = error as { status: unknown; text: unknown };
  if (typeof status !== 'number' || typeof text !== 'string') return undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) {
      return new ApiError(status, body.error.code ?? 'ERROR', body.error.message);
    }
  } catch {
    // Not the API's JSON error: its text is all there is.
  }
  return new ApiError(status, 'HTTP_ERROR', `${status} ${text.slice(0, 200)}`);
}

/**
 * What went wrong, in the words of the pages and commands a person uses here. The API's own
 * messages point API clients at routes ("create it with POST /threads"): those hints are for
 * programs, and the page says what to do on the page instead.
 */
export function messageOf(error: unknown): string {
  const refusal = refusalOf(error);
  if (!refusal) return error instanceof Error ? error.message : String(error);
  for (const [pattern, words] of PAGE_PATTERNS) {
    const match = pattern.exec(refusal.message);
    if (match) return words(match);
  }
  return PAGE_WORDS[refusal.code] ?? withoutRoutes(refusal.message);
}

const PAGE_WORDS: Record<string, string> = {
  THREAD_NOT_FOUND:
    'there is no such thread, or it is not one this key may see. The Runs page lists your threads; New task starts one.',
  RUN_NOT_FOUND:
    'there is no such run on this thread, or it is not one this key may see. The Runs page lists the runs you can open.',
  WORKSPACE_NOT_EMPTY:
    'this thread has files already: code is imported into a new thread only (choose "A new thread").',
  THREAD_INTERRUPTED:
    'this thread waits for an answer first (tool calls to approve, or a breakpoint to continue from). Open the thread\'s latest run from the Runs page to answer it, or choose "A new thread".',
  THREAD_NOT_INTERRUPTED:
    "this thread no longer waits for an answer: someone else answered it already, or the wait for approval timed out. The thread's newer run shows what happened.",
};

/** Refusals whose code covers many cases: the message says which, and the page's words follow. */
const PAGE_PATTERNS: [RegExp, (match: RegExpExecArray) => string][] = [
  [
    /approval "(\w+)" is weaker than this server's agent\.approval "(\w+)"/,
    ([, asked, configured]) =>
      `this server holds tool calls for approval "${configured}" at least, and a run may ask for more approval, never less than that ("${asked}" is less). Choose "${configured}" or a stricter setting under Approval.`,
  ],
];

/** "…; create it with POST /threads", "… (POST /threads)" and "…; see GET /docs" come off. */
function withoutRoutes(message: string): string {
  return message
    .replace(/\s*\((?:[^()]*\s)?(?:GET|POST|PUT|PATCH|DELETE) \/[^\s()]*\)/g, '')
    .replace(/[;,]\s[^;,]*\b(?:GET|POST|PUT|PATCH|DELETE) \/\S*/g, '');
}
