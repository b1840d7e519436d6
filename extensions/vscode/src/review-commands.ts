import * as vscode from 'vscode';
import type { Api } from '../../../src/client/run-api.js';
import { AtolyeError } from '../../../src/errors.js';
import { applyChanges, type ApplyReport } from './apply-changes.js';
import type { FileChange } from './changes.js';
import type { ChangesView } from './changes-view.js';
import type { Folders } from './folders.js';

/**
 * `Atölye: Review Changes`, `Apply All Changes`, `Apply File Changes` and `Discard Changes`: the
 * thread under review (the folder's last run's, or the one picked in Show Runs) in the view and
 * the diff editor, taken into the folder or left out, and what happened, said once.
 */

export interface ReviewDeps {
  folders: Folders;
  view: ChangesView;
  output: vscode.OutputChannel;
  connect(): Promise<Api>;
  /** The thread a run of this window is changing now, if any. */
  runningThread(): string | undefined;
}

export class ReviewCommands {
  constructor(private readonly deps: ReviewDeps) {}

  async review(): Promise<void> {
    const { view } = this.deps;
    const { folder, threadId } = await this.reviewed();
    await view.load(folder, threadId);
    await view.reveal();
    const [first] = view.pending();
    if (first) await view.openDiff(first);
    else {
      void vscode.window.showInformationMessage(
        `Atölye: nothing to review from thread ${threadId}; its changes are applied or discarded.`,
      );
    }
  }

  /** Reviews another thread of the folder from now on (Show Runs). */
  async reviewThread(folder: vscode.WorkspaceFolder, threadId: string): Promise<void> {
    await this.deps.folders.update(folder, (record) => ({ ...record, reviewThreadId: threadId }));
    await this.review();
  }

  applyAll(): Promise<ApplyReport> {
    return this.apply(async (pending) => pending);
  }

  applyFile(given: unknown): Promise<ApplyReport> {
    return this.apply((pending) => this.oneFile(pending, given));
  }

  async openDiff(given: unknown): Promise<void> {
    if (isChange(given)) await this.deps.view.openDiff(given);
  }

  async discard(given: unknown): Promise<void> {
    const { view } = this.deps;
    const { folder, threadId } = await this.reviewed();
    await view.load(folder, threadId);
    const pending = view.pending();
    if (isChange(given)) {
      await view.discard(pending.filter((file) => file.path === given.path));
      return;
    }
    if (pending.length === 0) {
      void vscode.window.showInformationMessage(
        `Atölye: nothing to discard from thread ${threadId}.`,
      );
      return;
    }
    const files = pending.length === 1 ? '1 change' : `${pending.length} changes`;
    const confirmed = await vscode.window.showWarningMessage(
      `Discard the ${files} of thread ${threadId}?`,
      {
        modal: true,
        detail:
          'Your files stay as they are. The thread keeps its changes; a later change to the same files shows again.',
      },
      'Discard',
    );
    if (confirmed === 'Discard') await view.discard(pending);
  }

  /** The folder, and the thread under review in it. */
  private async reviewed(): Promise<{ folder: vscode.WorkspaceFolder; threadId: string }> {
    const { folders } = this.deps;
    const folder = await folders.pick();
    const threadId = folders.record(folder).reviewThreadId ?? folders.lastThread(folder);
    if (threadId === undefined) {
      throw new AtolyeError(
        'NO_THREAD',
        `no task has run on ${folder.name} yet: start one with “Atölye: Run Task on Workspace”`,
      );
    }
    return { folder, threadId };
  }

  private async apply(
    pick: (pending: FileChange[]) => Promise<FileChange[]>,
  ): Promise<ApplyReport> {
    const { view } = this.deps;
    const { folder, threadId } = await this.reviewed();
    if (this.deps.runningThread() === threadId) {
      throw new AtolyeError(
        'RUN_GOING',
        `a run is still changing thread ${threadId}: apply its changes when it has ended`,
      );
    }
    await view.load(folder, threadId);
    const pending = view.pending();
    const chosen = pending.length === 0 ? [] : await pick(pending);
    if (chosen.length === 0) {
      const report = { applied: [], refused: [], differing: [] };
      // No message when the person left the file picker: they know nothing was applied.
      if (pending.length === 0) this.announce(report, folder, threadId);
      return report;
    }
    const report = await applyChanges(
      await this.deps.connect(),
      threadId,
      folder.uri,
      chosen.map((file) => file.path),
    );
    await view.load(folder, threadId);
    this.announce(report, folder, threadId);
    return report;
  }

  private announce(report: ApplyReport, folder: vscode.WorkspaceFolder, threadId: string): void {
    const { output } = this.deps;
    for (const file of report.applied) {
      output.appendLine(`applied  ${file.change.padEnd(8)}  ${file.path}`);
    }
    for (const file of report.refused) output.appendLine(`refused  ${file.path}: ${file.reason}`);
    for (const file of report.differing) {
      output.appendLine(`differs  ${file}: saved, but not byte for byte the agent's version`);
    }
    const applied = report.applied.length === 1 ? '1 change' : `${report.applied.length} changes`;
    if (report.refused.length > 0) {
      const [first] = report.refused;
      const more = report.refused.length > 1 ? ` (and ${report.refused.length - 1} more)` : '';
      void vscode.window
        .showWarningMessage(
          `Atölye: applied ${applied} from thread ${threadId}; refused ${first?.path}${more}: ${first?.reason}`,
          'Show Output',
        )
        .then((picked) => picked && output.show(true));
    } else if (report.differing.length > 0) {
      void vscode.window.showWarningMessage(
        `Atölye: applied ${applied} to ${folder.name}, but ${report.differing.join(', ')} differ from the agent's version after saving (line endings or encoding); check them with “Atölye: Review Changes”.`,
      );
    } else if (report.applied.length > 0) {
      void vscode.window.showInformationMessage(
        `Atölye: applied ${applied} to ${folder.name}: ${report.applied.map((file) => file.path).join(', ')}.`,
      );
    } else {
      void vscode.window.showInformationMessage(
        `Atölye: nothing to apply from thread ${threadId}.`,
      );
    }
  }

  /** The file a command means: its argument (the view's item), the editor's file, or a pick. */
  private async oneFile(pending: FileChange[], given: unknown): Promise<FileChange[]> {
    const named = isChange(given) ? pending.find((file) => file.path === given.path) : undefined;
    const shown = this.deps.view.changeShownIn(vscode.window.activeTextEditor?.document.uri);
    const file =
      named ??
      shown ??
      (pending.length === 1
        ? pending[0]
        : (
            await vscode.window.showQuickPick(
              pending.map((change) => ({ label: change.path, description: change.change, change })),
              { title: 'Atölye: which file?' },
            )
          )?.change);
    return file ? [file] : [];
  }
}

function isChange(value: unknown): value is FileChange {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as FileChange).path === 'string' &&
    typeof (value as FileChange).change === 'string'
  );
}
