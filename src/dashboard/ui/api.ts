import { Client } from '@langchain/langgraph-sdk';

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

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
