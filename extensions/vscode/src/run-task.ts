import * as vscode from 'vscode';
import type * as z from 'zod';
import { packFolder } from '../../../src/client/folder-archive.js';
import { followRun } from '../../../src/client/follow-run.js';
import { apiFailure, call, parseReply, type Api } from '../../../src/client/run-api.js';
import { size } from '../../../src/client/byte-size.js';
import { describeEnd } from '../../../src/cli/run-progress.js';
import { importArchive } from '../../../src/client/workspace-api.js';
import { AtolyeError } from '../../../src/errors.js';
import { Run } from '../../../src/orchestrator/api/schemas.js';
import { onRunPaused } from './approval.js';
import type { Folders } from './folders.js';
import { ChannelProgress, type RunStatus } from './run-status.js';

/**
 * `Atölye: Run Task on Workspace` (the open folder uploaded into a new thread, `.gitignore`
 * honoured as by `atolye run --dir`) and `Atölye: Run Follow-up Task` (the thread of the folder's
 * last task, whose workspace holds the agent's earlier changes): the task runs through the SDK's
 * stream, shown in a notification, the status bar and the output channel, and its end offers
 * Review and Apply.
 */

export type RunMode = 'new' | 'follow-up';

export interface ActiveRun {
  api: Api;
  threadId: string;
  runId: string | undefined;
  folder: vscode.WorkspaceFolder;
  /** Cancel was asked for before the run had an id: it is cancelled as soon as it has one. */
  cancelRequested: boolean;
}

export interface RunTaskDeps {
  folders: Folders;
  output: vscode.OutputChannel;
  status: RunStatus;
  connect(): Promise<Api>;
  /** Called when a run has ended, with the thread whose changes are now to review. */
  onRunEnded(folder: vscode.WorkspaceFolder, threadId: string): Promise<number>;
}

type RunRecord = z.infer<typeof Run>;

export class RunTasks {
  /** The run this window follows, if one is going. */
  active: ActiveRun | undefined;

  constructor(private readonly deps: RunTaskDeps) {}

  async run(mode: RunMode): Promise<RunRecord | undefined> {
    const { folders } = this.deps;
    const folder = await folders.pick();
    const followed = mode === 'follow-up' ? folders.lastThread(folder) : undefined;
    if (mode === 'follow-up' && followed === undefined) {
      throw new AtolyeError(
        'NO_THREAD',
        `no task has run on ${folder.name} yet: start with “Atölye: Run Task on Workspace”`,
      );
    }
    if (this.active) {
      throw new AtolyeError(
        'RUN_GOING',
        `a run is going on thread ${this.active.threadId}: wait for it, or stop it with “Atölye: Cancel Run”`,
      );
    }
    // Before the task is typed: a missing key or a silent API should not cost the typing.
    const api = await this.deps.connect();
    const task = await vscode.window.showInputBox({
      title: mode === 'new' ? 'Atölye: Run Task on Workspace' : 'Atölye: Run Follow-up Task',
      prompt:
        mode === 'new'
          ? `What should Atölye do? ${folder.name} is uploaded into a new thread (.gitignore is honoured, .env files stay here).`
          : `What next? The task runs on thread ${followed}, which keeps the agent's earlier changes.`,
      placeHolder: 'e.g. Fix add() so the tests pass',
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() === '' ? 'Describe the task.' : undefined),
    });
    if (task === undefined || task.trim() === '') return undefined;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Atölye', cancellable: true },
      async (progress, token) => {
        const report = (message: string): void => {
          progress.report({ message });
          this.deps.status.working(message);
        };
        token.onCancellationRequested(() => {
          this.cancel().catch((error: unknown) => this.deps.output.appendLine(String(error)));
        });
        try {
          const threadId = followed ?? (await this.startThread(api, folder, task, report));
          if (token.isCancellationRequested) {
            throw new AtolyeError('CANCELLED', 'cancelled before the run started');
          }
          this.active = { api, threadId, runId: undefined, folder, cancelRequested: false };
          return await this.follow(api, folder, threadId, task, report);
        } finally {
          this.active = undefined;
        }
      },
    );
  }

  /** Stops the run this window follows; false when there is none. */
  async cancel(): Promise<boolean> {
    const active = this.active;
    if (active === undefined) return false;
    if (active.runId === undefined) {
      active.cancelRequested = true;
      return true;
    }
    this.deps.output.appendLine(`cancelling run ${active.runId}`);
    try {
      await active.api.client.runs.cancel(active.threadId, active.runId);
    } catch (error) {
      throw apiFailure(active.api, error);
    }
    return true;
  }

  private async startThread(
    api: Api,
    folder: vscode.WorkspaceFolder,
    task: string,
    report: (message: string) => void,
  ): Promise<string> {
    const { output } = this.deps;
    report(`packing ${folder.name}…`);
    const packed = await packFolder(folder.uri.fsPath);
    const thread = await call(api, () =>
      api.client.threads.create({ metadata: { client: 'vscode', folder: folder.name } }),
    );
    output.appendLine(`thread ${thread.thread_id}`);
    report(`uploading ${packed.files} files (${size(packed.archive.byteLength)})…`);
    const imported = await importArchive(api, thread.thread_id, packed.archive);
    output.appendLine(
      `sent ${packed.files} files (${size(packed.bytes)}, ${size(packed.archive.byteLength)} compressed) from ${packed.root}; skipped ${packed.skipped}; baseline ${imported.baseline.slice(0, 12)}`,
    );
    for (const skipped of packed.skippedEntries) {
      output.appendLine(`  ${skipped.path}: not sent (${skipped.reason})`);
    }
    await this.deps.folders.addThread(folder, thread.thread_id, task);
    return thread.thread_id;
  }

  private async follow(
    api: Api,
    folder: vscode.WorkspaceFolder,
    threadId: string,
    task: string,
    report: (message: string) => void,
  ): Promise<RunRecord> {
    const { output, status } = this.deps;
    output.appendLine(`task: ${task}`);
    report('starting the run…');
    const progress = new ChannelProgress(output, (step) => {
      const active = this.active;
      if (active && active.runId === undefined && progress.runId !== undefined) {
        active.runId = progress.runId;
        if (active.cancelRequested) void this.cancel().catch(() => undefined);
      }
      report(step === 'started' ? `run ${progress.runId ?? ''} started` : `${step} done`);
    });
    const runId = await followRun(api, threadId, task, progress);
    const run = parseReply(api, Run, await call(api, () => api.client.runs.get(threadId, runId)));
    const summary = run.summary ?? (progress.values?.summary as string | undefined) ?? null;
    output.appendLine(describeEnd(run, progress.filesChanged, summary, progress.elapsedMs));
    const changes = await this.deps.onRunEnded(folder, threadId);
    status.finished(run.status, changes);
    void this.announce(api, run, changes);
    return run;
  }

  /** The run's end as a notification: Review and Apply after a success, the reason otherwise. */
  private async announce(api: Api, run: RunRecord, changes: number): Promise<void> {
    if (run.status === 'interrupted' && run.stop_reason === null) {
      await onRunPaused({
        threadId: run.thread_id,
        runId: run.run_id,
        dashboardUrl: dashboardUrl(api, run.thread_id, run.run_id),
      });
      return;
    }
    if (run.status !== 'success') {
      const reason = run.error ? `${run.error.code}: ${run.error.message}` : run.stop_reason;
      const picked = await vscode.window.showErrorMessage(
        `Atölye: the run ended with status ${run.status}${reason ? ` (${reason})` : ''}`,
        'Show Output',
      );
      if (picked) this.deps.output.show(true);
      return;
    }
    const what =
      changes === 0
        ? 'no changes to apply'
        : changes === 1
          ? '1 changed file to review'
          : `${changes} changed files to review`;
    const picked = await vscode.window.showInformationMessage(
      `Atölye: the run succeeded, ${what}.`,
      ...(changes > 0 ? ['Review', 'Apply All'] : ['Show Output']),
    );
    if (picked === 'Review') await vscode.commands.executeCommand('atolye.reviewChanges');
    if (picked === 'Apply All') await vscode.commands.executeCommand('atolye.applyAll');
    if (picked === 'Show Output') this.deps.output.show(true);
  }
}

export function dashboardUrl(api: Pick<Api, 'url'>, threadId: string, runId: string): string {
  return `${api.url}/#/run/${encodeURIComponent(threadId)}/${encodeURIComponent(runId)}`;
}
