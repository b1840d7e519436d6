import * as vscode from 'vscode';
import type { Api } from '../../../src/client/run-api.js';
import { fetchFile } from '../../../src/client/workspace-api.js';
import { loadChanges, type FileChange, type ThreadChanges } from './changes.js';
import type { Folders } from './folders.js';
import { uriOf } from './local-files.js';

/**
 * The Review Changes view: the files the thread changed that are not yet in the folder, each
 * opening VS Code's diff editor — the file on disk on the left, the agent's version on the right,
 * served by a content provider of its own scheme. Applied and discarded changes are left out.
 */

export const AGENT_SCHEME = 'atolye-agent';
export const VIEW_ID = 'atolye.changes';

export interface Review {
  folder: vscode.WorkspaceFolder;
  changes: ThreadChanges;
}

export class ChangesView
  implements vscode.TreeDataProvider<FileChange>, vscode.TextDocumentContentProvider
{
  review: Review | undefined;
  private readonly changed = new vscode.EventEmitter<FileChange | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: vscode.TreeView<FileChange> | undefined;

  constructor(
    private readonly folders: Folders,
    private readonly connect: () => Promise<Api>,
    /** Told how many changes are left each time they are read again. */
    private readonly onPending: (count: number) => void = () => undefined,
  ) {}

  register(): vscode.Disposable[] {
    this.view = vscode.window.createTreeView(VIEW_ID, {
      treeDataProvider: this,
      showCollapseAll: false,
    });
    return [
      this.view,
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(AGENT_SCHEME, this),
    ];
  }

  /** Reads the thread's changes again; returns how many are left to review. */
  async load(folder: vscode.WorkspaceFolder, threadId: string): Promise<number> {
    const api = await this.connect();
    this.review = { folder, changes: await loadChanges(api, threadId, folder.uri) };
    await this.folders.update(folder, (record) => ({ ...record, reviewThreadId: threadId }));
    this.changed.fire(undefined);
    const pending = this.pending();
    if (this.view) {
      this.view.message =
        pending.length === 0
          ? `Nothing to review from thread ${threadId}: its changes are applied or discarded.`
          : `Thread ${threadId}: ${pending.length === 1 ? '1 file' : `${pending.length} files`} changed.`;
    }
    await vscode.commands.executeCommand('setContext', 'atolye.hasChanges', pending.length > 0);
    this.onPending(pending.length);
    return pending.length;
  }

  /** The changes still to apply: neither applied nor discarded. */
  pending(): FileChange[] {
    if (!this.review) return [];
    const { folder, changes } = this.review;
    const discarded = new Set(this.folders.record(folder).discarded[changes.threadId] ?? []);
    return changes.files.filter(
      (file) => file.state.kind !== 'applied' && !discarded.has(discardKey(file)),
    );
  }

  async discard(files: readonly FileChange[]): Promise<void> {
    const review = this.review;
    if (!review) return;
    const threadId = review.changes.threadId;
    await this.folders.update(review.folder, (record) => ({
      ...record,
      discarded: {
        ...record.discarded,
        [threadId]: [...(record.discarded[threadId] ?? []), ...files.map(discardKey)],
      },
    }));
    await this.load(review.folder, threadId);
  }

  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  }

  /** The diff editor for one change: the file as the user has it against the agent's version. */
  async openDiff(file: FileChange): Promise<void> {
    const review = this.review;
    if (!review) return;
    if (file.binary) {
      await vscode.window.showInformationMessage(
        `Atölye: ${file.path} is a binary file, so there is no text diff to show; “Atölye: Apply File Changes” takes it.`,
      );
      return;
    }
    const threadId = review.changes.threadId;
    const left =
      file.change === 'added'
        ? agentUri(threadId, file.path, null)
        : uriOf(review.folder.uri, file.from ?? file.path);
    const right =
      file.change === 'deleted'
        ? agentUri(threadId, file.path, null)
        : agentUri(threadId, file.path, file.newId);
    const title = `${file.path} (yours ↔ Atölye${file.state.kind === 'conflict' ? ', conflict' : ''})`;
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
  }

  /** The change an editor shows: the agent's side of a diff, or a file of the folder. */
  changeShownIn(uri: vscode.Uri | undefined): FileChange | undefined {
    if (!uri || !this.review) return undefined;
    const { folder } = this.review;
    const path =
      uri.scheme === AGENT_SCHEME
        ? uri.path.slice(1)
        : vscode.workspace.asRelativePath(uri, false).split('\\').join('/');
    if (uri.scheme !== AGENT_SCHEME && vscode.workspace.getWorkspaceFolder(uri) !== folder) {
      return undefined;
    }
    return this.pending().find((file) => file.path === path || file.from === path);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const query = new URLSearchParams(uri.query);
    const threadId = query.get('thread');
    if (threadId === null || !query.has('blob')) return '';
    const bytes = await fetchFile(await this.connect(), threadId, uri.path.slice(1));
    return new TextDecoder().decode(bytes);
  }

  getTreeItem(file: FileChange): vscode.TreeItem {
    const item = new vscode.TreeItem(file.path, vscode.TreeItemCollapsibleState.None);
    const what = file.from === undefined ? file.change : `renamed from ${file.from}`;
    item.id = file.path;
    item.description =
      file.state.kind === 'conflict'
        ? `${what} · conflict`
        : `${what}${file.binary ? ' · binary' : ` · +${file.added} −${file.removed}`}`;
    item.tooltip =
      file.state.kind === 'conflict'
        ? `${file.path} cannot be applied: ${file.state.reason}`
        : `${file.path}: ${what}; select to compare, then apply or discard`;
    item.iconPath = new vscode.ThemeIcon(
      file.state.kind === 'conflict' ? 'warning' : ICONS[file.change],
    );
    item.contextValue = file.state.kind === 'conflict' ? 'change-conflict' : 'change-ready';
    item.command = { command: 'atolye.openDiff', title: 'Compare', arguments: [file] };
    return item;
  }

  getChildren(parent?: FileChange): FileChange[] {
    return parent ? [] : this.pending();
  }
}

const ICONS: Record<FileChange['change'], string> = {
  added: 'diff-added',
  modified: 'diff-modified',
  deleted: 'diff-removed',
  renamed: 'diff-renamed',
};

/** A discarded change is this file's change to this blob: a later change to it shows again. */
function discardKey(file: FileChange): string {
  return `${file.path}\0${file.newId ?? 'deleted'}`;
}

/** The agent's version of a file, or (blob null) an empty side for a file one side lacks. */
function agentUri(threadId: string, path: string, blob: string | null): vscode.Uri {
  const query = new URLSearchParams({ thread: threadId });
  if (blob !== null) query.set('blob', blob);
  return vscode.Uri.from({ scheme: AGENT_SCHEME, path: `/${path}`, query: query.toString() });
}
