import * as vscode from 'vscode';
import * as z from 'zod';
import { call, parseReply, type Api } from '../../../src/client/run-api.js';
import { oneLine } from '../../../src/client/text.js';
import { Run } from '../../../src/orchestrator/api/schemas.js';
import type { Folders } from './folders.js';
import type { ReviewCommands } from './review-commands.js';
import { dashboardUrl, type RunTasks } from './run-task.js';

/**
 * `Atölye: Show Runs` — the recent runs of this folder's threads with their status; a run opens in
 * the dashboard, or its thread's changes open for review — and `Atölye: Cancel Run`, for the run
 * this window follows or else the folder's run that is going.
 */

export interface RunsDeps {
  folders: Folders;
  tasks: RunTasks;
  review: ReviewCommands;
  connect(): Promise<Api>;
}

type RunRecord = z.infer<typeof Run>;

const RUNS_PER_THREAD = 20;
const SHOWN = 50;
const ICONS: Record<string, string> = {
  pending: 'clock',
  running: 'sync~spin',
  success: 'check',
  error: 'error',
  timeout: 'watch',
  interrupted: 'debug-pause',
};

/** The runs of the folder's threads, newest first. */
export async function folderRuns(
  api: Api,
  folders: Folders,
  folder: vscode.WorkspaceFolder,
): Promise<RunRecord[]> {
  const threads = folders.record(folder).threads.map((thread) => thread.threadId);
  const lists = await Promise.all(
    threads.map(async (threadId) =>
      parseReply(
        api,
        z.array(Run),
        await call(api, () => api.client.runs.list(threadId, { limit: RUNS_PER_THREAD })),
      ),
    ),
  );
  return lists
    .flat()
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .slice(0, SHOWN);
}

export type RunAction = 'dashboard' | 'review' | 'cancel';

/** Lets the user pick a run and what to do with it; undefined when they leave the picker. */
export async function pickRun(
  runs: readonly RunRecord[],
  folderName: string,
): Promise<{ run: RunRecord; action: RunAction } | undefined> {
  if (runs.length === 0) {
    await vscode.window.showInformationMessage(
      `Atölye: no runs on ${folderName} yet; start one with “Atölye: Run Task on Workspace”.`,
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    runs.map((run) => ({
      label: `$(${ICONS[run.status] ?? 'circle'}) ${oneLine(run.kwargs.input.task, 70)}`,
      description: run.status,
      detail: `${run.created_at.slice(0, 19).replace('T', ' ')} · run ${run.run_id} · thread ${run.thread_id}`,
      run,
    })),
    { title: `Atölye: runs on ${folderName}`, placeHolder: 'Pick a run', matchOnDetail: true },
  );
  if (!picked) return undefined;
  const { run } = picked;
  const actions: { label: string; action: RunAction }[] = [
    { label: '$(globe) Open in Dashboard', action: 'dashboard' },
    { label: '$(diff) Review Changes of its Thread', action: 'review' },
    ...(run.status === 'pending' || run.status === 'running'
      ? [{ label: '$(stop) Cancel Run', action: 'cancel' as const }]
      : []),
  ];
  const chosen = await vscode.window.showQuickPick(actions, {
    title: `Run ${run.run_id} (${run.status})`,
  });
  return chosen && { run, action: chosen.action };
}

export async function showRuns(deps: RunsDeps): Promise<void> {
  const folder = await deps.folders.pick();
  const api = await deps.connect();
  const picked = await pickRun(await folderRuns(api, deps.folders, folder), folder.name);
  if (picked?.action === 'dashboard') await openInDashboard(api, picked.run);
  if (picked?.action === 'cancel') await cancelRun(api, picked.run);
  if (picked?.action === 'review') await deps.review.reviewThread(folder, picked.run.thread_id);
}

export async function cancel(deps: RunsDeps): Promise<void> {
  if (await deps.tasks.cancel()) {
    void vscode.window.showInformationMessage('Atölye: cancelling the run…');
    return;
  }
  const folder = await deps.folders.pick();
  const api = await deps.connect();
  const [run] = (await folderRuns(api, deps.folders, folder)).filter(
    (candidate) => candidate.status === 'pending' || candidate.status === 'running',
  );
  if (run === undefined) {
    void vscode.window.showInformationMessage(`Atölye: no run is going on ${folder.name}.`);
    return;
  }
  await cancelRun(api, run);
  void vscode.window.showInformationMessage(`Atölye: cancelling run ${run.run_id}…`);
}

export async function openInDashboard(api: Api, run: RunRecord): Promise<void> {
  await vscode.env.openExternal(vscode.Uri.parse(dashboardUrl(api, run.thread_id, run.run_id)));
}

export async function cancelRun(
  api: Api,
  run: Pick<RunRecord, 'thread_id' | 'run_id'>,
): Promise<void> {
  await call(api, () => api.client.runs.cancel(run.thread_id, run.run_id));
}
