import * as vscode from 'vscode';
import { ChangesView } from './changes-view.js';
import { connect, setApiKey } from './connection.js';
import { showFailure } from './failures.js';
import { Folders } from './folders.js';
import { ReviewCommands } from './review-commands.js';
import { RunStatus } from './run-status.js';
import { RunTasks } from './run-task.js';
import { cancel, showRuns } from './runs.js';

/**
 * The extension's entry: one output channel, one status-bar item, the Review Changes view, and the
 * `Atölye: …` commands. Each command reports its failure as one message with the way out.
 */

export function activate(context: vscode.ExtensionContext): void {
  activateWith(context, process.env);
}

/** `activate` with the environment the key may come from (`ATOLYE_API_KEY`) given. */
export function activateWith(context: vscode.ExtensionContext, env: NodeJS.ProcessEnv): void {
  const output = vscode.window.createOutputChannel('Atölye');
  const folders = new Folders(context.workspaceState);
  const status = new RunStatus();
  const api = () => connect(context.secrets, env);
  const view = new ChangesView(folders, api, (count) => status.changesLeft(count));
  const tasks = new RunTasks({
    folders,
    output,
    status,
    connect: api,
    onRunEnded: (folder, threadId) => view.load(folder, threadId),
  });
  const review = new ReviewCommands({
    folders,
    view,
    output,
    connect: api,
    runningThread: () => tasks.active?.threadId,
  });
  const runs = { folders, tasks, review, connect: api };

  const commands: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    'atolye.runTask': () => tasks.run('new'),
    'atolye.runFollowUp': () => tasks.run('follow-up'),
    'atolye.reviewChanges': () => review.review(),
    'atolye.openDiff': (file) => review.openDiff(file),
    'atolye.applyAll': () => review.applyAll(),
    'atolye.applyFile': (file) => review.applyFile(file),
    'atolye.discard': (file) => review.discard(file),
    'atolye.cancelRun': () => cancel(runs),
    'atolye.showRuns': () => showRuns(runs),
    'atolye.setApiKey': () => setApiKey(context.secrets, env, output),
    'atolye.showOutput': async () => output.show(true),
  };
  context.subscriptions.push(
    output,
    status,
    ...view.register(),
    ...Object.entries(commands).map(([id, handler]) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (error) {
          await showFailure(error, output);
          return undefined;
        }
      }),
    ),
  );
}

export function deactivate(): void {
  // Everything is in the context's subscriptions, which VS Code disposes.
}
