import { Client } from '@langchain/langgraph-sdk';
import * as vscode from 'vscode';
import { call, checkReachable, type Api, type ApiHints } from '../../../src/client/run-api.js';
import { AtolyeError } from '../../../src/errors.js';

/**
 * Where the run API is (`atolye.apiUrl`) and the key (VS Code's SecretStorage, else
 * `ATOLYE_API_KEY` in the extension host's environment), and how this extension words the way
 * out of a failure.
 */

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';
export const SECRET_KEY = 'atolye.apiKey';

export const EXTENSION_HINTS: ApiHints = {
  client: 'VS Code extension',
  unreachable: 'start it with `npm run deploy`, or set atolye.apiUrl',
  unauthorized:
    'set the key with “Atölye: Set API Key” (create one with `npx atolye keys create --name me`)',
  seeRuns: () => 'see “Atölye: Show Runs”',
};

export function apiUrl(): string {
  const configured = vscode.workspace.getConfiguration('atolye').get<string>('apiUrl');
  return (configured?.trim() || DEFAULT_API_URL).replace(/\/+$/, '');
}

export async function apiKey(
  secrets: vscode.SecretStorage,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const stored = await secrets.get(SECRET_KEY);
  return stored || env.ATOLYE_API_KEY || undefined;
}

/** A connection to the run API, once it answers; a missing key or a silent API is an error. */
export async function connect(secrets: vscode.SecretStorage, env: NodeJS.ProcessEnv): Promise<Api> {
  const url = apiUrl();
  const key = await apiKey(secrets, env);
  if (key === undefined) {
    throw new AtolyeError(
      'API_KEY_MISSING',
      'no API key for the run API: set one with “Atölye: Set API Key” (create one with `npx atolye keys create --name me`), or start VS Code with ATOLYE_API_KEY set',
    );
  }
  await checkReachable(url, EXTENSION_HINTS);
  return { url, key, client: new Client({ apiUrl: url, apiKey: key }), hints: EXTENSION_HINTS };
}

/** `Atölye: Set API Key`: the key into VS Code's secret storage, then checked with the API. */
export async function setApiKey(
  secrets: vscode.SecretStorage,
  env: NodeJS.ProcessEnv,
  output: vscode.OutputChannel,
): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'Atölye: Set API Key',
    prompt: `The key for the run API at ${apiUrl()}, kept in VS Code's secret storage (create one with \`npx atolye keys create --name me\`).`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? 'Paste the key.' : undefined),
  });
  if (key === undefined || key.trim() === '') return;
  await secrets.store(SECRET_KEY, key.trim());
  output.appendLine(`API key saved for ${apiUrl()}`);
  const api = await connect(secrets, env);
  await call(api, () => api.client.threads.search({ limit: 1 }));
  void vscode.window.showInformationMessage(
    `Atölye: the key is saved, and the run API at ${api.url} accepts it.`,
  );
}
