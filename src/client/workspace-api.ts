import { apiFailure, parseReply, type Api } from './run-api.js';
import { ImportResult as ImportReply } from '../workspace/import-result.js';

/**
 * The workspace endpoints the SDK has no call for — import, diff, patch, one file — with the
 * client's key and its errors (an unreachable API, a 401 with how to get a key, the API's own
 * message otherwise). The CLI and the VS Code extension both use them.
 */

export { ImportReply };

export async function importArchive(
  api: Api,
  threadId: string,
  archive: Uint8Array<ArrayBuffer>,
): Promise<ImportReply> {
  const response = await send(api, `${threadPath(threadId)}/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/gzip' },
    body: archive,
  });
  return parseReply(api, ImportReply, await response.json());
}

export async function importRepository(
  api: Api,
  threadId: string,
  git: { url: string; ref?: string },
): Promise<ImportReply> {
  const response = await send(api, `${threadPath(threadId)}/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ git }),
  });
  return parseReply(api, ImportReply, await response.json());
}

/** The unified diff of the thread's workspace against its baseline, or of one run. */
export async function fetchDiff(api: Api, threadId: string, runId?: string): Promise<string> {
  const query = runId === undefined ? '' : `?run_id=${encodeURIComponent(runId)}`;
  return (await send(api, `${threadPath(threadId)}/diff${query}`)).text();
}

/** The thread's changes (or one run's) as a `git format-patch` mailbox; empty when none. */
export async function fetchPatch(api: Api, threadId: string, runId?: string): Promise<Uint8Array> {
  const query = runId === undefined ? '' : `?run_id=${encodeURIComponent(runId)}`;
  const response = await send(api, `${threadPath(threadId)}/patch${query}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** One file of the thread's workspace as the agent left it, byte for byte. */
export async function fetchFile(api: Api, threadId: string, file: string): Promise<Uint8Array> {
  const encoded = file.split('/').map(encodeURIComponent).join('/');
  const response = await send(api, `${threadPath(threadId)}/files/${encoded}`);
  return new Uint8Array(await response.arrayBuffer());
}

function threadPath(threadId: string): string {
  return `/threads/${encodeURIComponent(threadId)}`;
}

async function send(api: Api, path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${api.url}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), 'x-api-key': api.key },
    });
  } catch (error) {
    throw apiFailure(api, error);
  }
  if (!response.ok) {
    throw apiFailure(api, { status: response.status, text: await response.text() });
  }
  return response;
}
