import * as vscode from 'vscode';
import { AtolyeError, errorMessage } from '../../../src/errors.js';

/**
 * Every failure of a command as one message with the way out: the error's own words (the API's,
 * for a model error), and a button where one helps — the key, the API's URL, the output.
 */

const ACTIONS: { when: (code: string) => boolean; label: string; run: () => Thenable<unknown> }[] =
  [
    {
      when: (code) => code.startsWith('API_KEY_'),
      label: 'Set API Key',
      run: () => vscode.commands.executeCommand('atolye.setApiKey'),
    },
    {
      when: (code) => code === 'API_UNREACHABLE',
      label: 'Open Settings',
      run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'atolye.apiUrl'),
    },
  ];

export async function showFailure(error: unknown, output: vscode.OutputChannel): Promise<void> {
  if (error instanceof AtolyeError && error.code === 'CANCELLED') return;
  const code = error instanceof AtolyeError ? error.code : 'INTERNAL';
  const message = errorMessage(error);
  output.appendLine(`error ${code}: ${message}`);
  const actions = ACTIONS.filter((action) => action.when(code));
  const picked = await vscode.window.showErrorMessage(
    `Atölye: ${message}`,
    ...actions.map((action) => action.label),
    'Show Output',
  );
  if (picked === 'Show Output') output.show(true);
  await actions.find((action) => action.label === picked)?.run();
}
