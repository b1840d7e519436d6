import * as vscode from 'vscode';

/**
 * Approval prompts. When the run API holds a risky tool call for a person's approval (a LangGraph
 * interrupt carrying the proposed calls — the approval issue), this is where VS Code asks: a modal
 * with the proposed command, Approve or Reject, and the run resumed with `Command({ resume })`.
 * The API does not ask yet, so nothing here pretends to approve anything: an interrupted run is
 * reported as paused, with the dashboard to look at it.
 */

export interface PausedRun {
  threadId: string;
  runId: string;
  /** The dashboard page of the run. */
  dashboardUrl: string;
}

export async function onRunPaused(run: PausedRun): Promise<void> {
  const picked = await vscode.window.showWarningMessage(
    `Atölye: run ${run.runId} is paused, waiting for an approval that this version of the extension cannot give yet.`,
    'Open in Dashboard',
  );
  if (picked) await vscode.env.openExternal(vscode.Uri.parse(run.dashboardUrl));
}
