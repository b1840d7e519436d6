import { Client } from '@langchain/langgraph-sdk';
import {
  apiFailure,
  call,
  checkReachable,
  parseReply,
  unreachable,
  type Api,
  type ApiHints,
} from '../client/run-api.js';
import { loadConfig } from '../config/index.js';
import { readOrchestratorState } from '../deploy/local/orchestrator-state.js';
import { AtolyeError } from '../errors.js';
import type { CliContext } from './context.js';

/** The CLI's way to the run API: where it is, the key, and failures as errors a user can act on. */

export type { Api };
export { call, parseReply };

/** How the CLI words the way out of a failure. */
export const CLI_HINTS: ApiHints = {
  client: 'CLI',
  unreachable: 'start it with `npm run deploy`, or point api.url / ATOLYE_API_URL at it',
  unauthorized:
    'check api.key / ATOLYE_API_KEY, or create a key with `npx atolye keys create --name me`',
  seeRuns: (threadId) => `see \`npx atolye runs --thread ${threadId}\``,
};

/**
 * Where the API is and the key to use: `api.url`, else the URL of the local orchestrator that
 * `npm run deploy` started, else `api.port` on loopback. Answers only once the API does.
 */
export async function connect(cli: CliContext): Promise<Api> {
  const { config } = loadConfig({ environ: cli.env, overrides: cli.overrides() });
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
  // Without this probe an API that is down costs the SDK's retries (tens of seconds) to report.
  await checkReachable(url, CLI_HINTS);
  return { url, key, client: new Client({ apiUrl: url, apiKey: key }), hints: CLI_HINTS };
}

/** A request the SDK has no call for (workspace files), with the same key and errors. */
export async function apiFetch(api: Api, path: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${api.url}${path}`, { headers: { 'x-api-key': api.key } });
  } catch (error) {
    throw unreachable(api.url, error, api.hints);
  }
  if (!response.ok) {
    throw apiFailure(api, { status: response.status, text: await response.text() });
  }
  return response;
}
