import * as vscode from 'vscode';
import { AtolyeError } from '../../../src/errors.js';

/**
 * The open folder a command works on, and what this workspace remembers of each folder: the
 * threads its tasks ran on (newest last), the thread whose changes are under review, and the
 * changes the user discarded. Kept in the workspace's own storage, so nothing about local paths
 * is sent to the API.
 */

export interface FolderRecord {
  threads: { threadId: string; task: string; createdAt: string }[];
  /** The thread of the last run, or the one picked in Show Runs: what Review Changes shows. */
  reviewThreadId?: string;
  /** Per thread, `path\0blobId` of each change discarded: it stays hidden until the agent changes the file again. */
  discarded: Record<string, string[]>;
}

const STATE_KEY = 'atolye.folders';
/** Threads remembered per folder; older ones are still in Show Runs of the dashboard. */
const MAX_THREADS = 50;

export class Folders {
  constructor(private readonly state: vscode.Memento) {}

  /** The one folder of the window, or the one the user picks; an error when none is open. */
  async pick(): Promise<vscode.WorkspaceFolder> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const [only] = folders;
    if (only === undefined) {
      throw new AtolyeError(
        'NO_FOLDER',
        'open a folder first (File → Open Folder…): Atölye works on the code of an open folder',
      );
    }
    const folder =
      folders.length === 1
        ? only
        : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which folder?' });
    if (folder === undefined) throw new AtolyeError('CANCELLED', 'no folder picked');
    if (folder.uri.scheme !== 'file') {
      throw new AtolyeError(
        'FOLDER_NOT_LOCAL',
        `${folder.name} is not a folder on this machine's disk (${folder.uri.scheme}:); Atölye sends folders from disk`,
      );
    }
    return folder;
  }

  record(folder: vscode.WorkspaceFolder): FolderRecord {
    const all = this.state.get<Record<string, FolderRecord>>(STATE_KEY) ?? {};
    return all[folder.uri.toString()] ?? { threads: [], discarded: {} };
  }

  async update(
    folder: vscode.WorkspaceFolder,
    change: (record: FolderRecord) => FolderRecord,
  ): Promise<FolderRecord> {
    const all = this.state.get<Record<string, FolderRecord>>(STATE_KEY) ?? {};
    const next = change(this.record(folder));
    await this.state.update(STATE_KEY, { ...all, [folder.uri.toString()]: next });
    return next;
  }

  async addThread(folder: vscode.WorkspaceFolder, threadId: string, task: string): Promise<void> {
    await this.update(folder, (record) => ({
      ...record,
      threads: [
        ...record.threads.filter((thread) => thread.threadId !== threadId),
        { threadId, task, createdAt: new Date().toISOString() },
      ].slice(-MAX_THREADS),
      reviewThreadId: threadId,
    }));
  }

  /** The thread a follow-up continues: the last one a task of this folder ran on. */
  lastThread(folder: vscode.WorkspaceFolder): string | undefined {
    return this.record(folder).threads.at(-1)?.threadId;
  }
}
