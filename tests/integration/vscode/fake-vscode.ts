import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The `vscode` module as the extension sees it, for tests that run the extension's real code
 * against a real orchestrator: jest maps `import 'vscode'` here. Only what the extension calls is
 * here, and it behaves as VS Code documents it: documents hold text and become dirty when edited
 * and clean when saved; a WorkspaceEdit checks its file operations before it changes anything;
 * content providers serve their scheme. What a person would answer (input boxes, pickers, message
 * buttons) comes from `ui`, which each test sets; everything shown is recorded in `shown`.
 */

type Listener<T> = (value: T) => unknown;

export class Disposable {
  constructor(private readonly onDispose: () => void = () => undefined) {}
  dispose(): void {
    this.onDispose();
  }
}

export class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const listener of this.listeners) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}

  static file(file: string): Uri {
    return new Uri('file', '', path.resolve(file), '', '');
  }

  static parse(value: string): Uri {
    const url = new URL(value);
    return new Uri(
      url.protocol.replace(/:$/, ''),
      url.host,
      decodeURIComponent(url.pathname),
      url.search.replace(/^\?/, ''),
      url.hash.replace(/^#/, ''),
    );
  }

  static from(parts: {
    scheme: string;
    authority?: string;
    path?: string;
    query?: string;
    fragment?: string;
  }): Uri {
    return new Uri(
      parts.scheme,
      parts.authority ?? '',
      parts.path ?? '',
      parts.query ?? '',
      parts.fragment ?? '',
    );
  }

  static joinPath(base: Uri, ...segments: string[]): Uri {
    return base.with({ path: path.posix.join(base.path, ...segments) });
  }

  get fsPath(): string {
    return this.path;
  }

  with(change: { path?: string; query?: string }): Uri {
    return new Uri(
      this.scheme,
      this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      this.fragment,
    );
  }

  toString(): string {
    const query = this.query ? `?${this.query}` : '';
    const fragment = this.fragment ? `#${this.fragment}` : '';
    return `${this.scheme}://${this.authority}${encodeURI(this.path)}${query}${fragment}`;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class ThemeIcon {
  constructor(readonly id: string) {}
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  iconPath?: ThemeIcon;
  contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(
    readonly label: string,
    readonly collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export type FileEdit =
  | { kind: 'text'; uri: Uri; range: Range; newText: string }
  | { kind: 'create'; uri: Uri; contents: Uint8Array; overwrite: boolean }
  | { kind: 'delete'; uri: Uri; ignoreIfNotExists: boolean }
  | { kind: 'rename'; from: Uri; to: Uri; overwrite: boolean };

export class WorkspaceEdit {
  readonly edits: FileEdit[] = [];
  replace(uri: Uri, range: Range, newText: string): void {
    this.edits.push({ kind: 'text', uri, range, newText });
  }
  createFile(uri: Uri, options: { overwrite?: boolean; contents?: Uint8Array } = {}): void {
    this.edits.push({
      kind: 'create',
      uri,
      contents: options.contents ?? new Uint8Array(),
      overwrite: options.overwrite ?? false,
    });
  }
  deleteFile(uri: Uri, options: { ignoreIfNotExists?: boolean } = {}): void {
    this.edits.push({ kind: 'delete', uri, ignoreIfNotExists: options.ignoreIfNotExists ?? false });
  }
  renameFile(from: Uri, to: Uri, options: { overwrite?: boolean } = {}): void {
    this.edits.push({ kind: 'rename', from, to, overwrite: options.overwrite ?? false });
  }
}

/** A text document: its text, and whether it differs from the file on disk. */
export class TextDocument {
  isDirty = false;
  constructor(
    readonly uri: Uri,
    private text: string,
  ) {}

  getText(): string {
    return this.text;
  }

  /** An edit a person makes in the editor, not saved. */
  type(text: string): void {
    this.text = text;
    this.isDirty = true;
  }

  positionAt(offset: number): Position {
    const before = this.text.slice(0, offset);
    const lines = before.split('\n');
    return new Position(lines.length - 1, (lines.at(-1) ?? '').length);
  }

  offsetAt(position: Position): number {
    const lines = this.text.split('\n');
    let offset = 0;
    for (let line = 0; line < position.line; line += 1) offset += (lines[line] ?? '').length + 1;
    return offset + position.character;
  }

  applyText(range: Range, newText: string): void {
    const start = this.offsetAt(range.start);
    const end = this.offsetAt(range.end);
    this.text = this.text.slice(0, start) + newText + this.text.slice(end);
    this.isDirty = true;
  }

  reload(): void {
    if (!this.isDirty && existsSync(this.uri.fsPath)) {
      this.text = readFileSync(this.uri.fsPath, 'utf8');
    }
  }

  async save(): Promise<boolean> {
    writeFileSync(this.uri.fsPath, this.text);
    this.isDirty = false;
    return true;
  }
}

interface ContentProvider {
  provideTextDocumentContent(uri: Uri): string | Promise<string>;
}

interface QuickPickItem {
  label: string;
  description?: string;
  detail?: string;
}

/** What the person at the keyboard answers; a test sets the ones it needs. */
export interface Person {
  inputBox(options: { title?: string; prompt?: string; password?: boolean }): string | undefined;
  quickPick<T extends QuickPickItem>(
    items: readonly T[],
    options: { title?: string },
  ): T | undefined;
  /** The button clicked on a message; undefined leaves it. */
  message(kind: 'info' | 'warning' | 'error', text: string, items: string[]): string | undefined;
}

export interface Shown {
  messages: { kind: 'info' | 'warning' | 'error'; text: string; items: string[] }[];
  progress: string[];
  output: string[];
  commands: { id: string; args: unknown[] }[];
  opened: string[];
  edits: FileEdit[][];
  statusBar: { text: string; tooltip?: string; command?: unknown; visible: boolean };
}

interface FolderEntry {
  uri: Uri;
  name: string;
  index: number;
}

const registered = new Map<string, (...args: unknown[]) => unknown>();
const providers = new Map<string, ContentProvider>();
const documents: TextDocument[] = [];
const trees = new Map<string, { provider: unknown; message?: string }>();
let folders: FolderEntry[] = [];
let settings: Record<string, unknown> = {};

export const ui: { person: Person; shown: Shown } = {
  person: {
    inputBox: () => undefined,
    quickPick: () => undefined,
    message: () => undefined,
  },
  shown: emptyShown(),
};

function emptyShown(): Shown {
  return {
    messages: [],
    progress: [],
    output: [],
    commands: [],
    opened: [],
    edits: [],
    statusBar: { text: '', visible: false },
  };
}

/** A fresh window on `folder`; commands registered before are forgotten. */
export function openWindow(folder: string | undefined, config: Record<string, unknown> = {}): void {
  registered.clear();
  providers.clear();
  documents.splice(0);
  trees.clear();
  folders =
    folder === undefined ? [] : [{ uri: Uri.file(folder), name: path.basename(folder), index: 0 }];
  settings = config;
  ui.shown = emptyShown();
}

export function treeOf(viewId: string): { provider: unknown; message?: string } | undefined {
  return trees.get(viewId);
}

export const commands = {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
    if (registered.has(id)) throw new Error(`command ${id} already exists`);
    registered.set(id, handler);
    return new Disposable(() => registered.delete(id));
  },
  async executeCommand<T>(id: string, ...args: unknown[]): Promise<T> {
    ui.shown.commands.push({ id, args });
    const handler = registered.get(id);
    if (handler) return (await handler(...args)) as T;
    if (['setContext', 'vscode.diff', 'workbench.action.openSettings'].includes(id)) {
      return undefined as T;
    }
    if (id.endsWith('.focus') && trees.has(id.slice(0, -'.focus'.length))) return undefined as T;
    throw new Error(`command '${id}' not found`);
  },
};

export const window = {
  activeTextEditor: undefined as { document: TextDocument } | undefined,

  async showInputBox(options: {
    title?: string;
    prompt?: string;
    password?: boolean;
    validateInput?: (value: string) => string | undefined;
  }): Promise<string | undefined> {
    const answer = ui.person.inputBox(options);
    if (answer !== undefined && options.validateInput?.(answer) !== undefined) {
      throw new Error(`the input box refuses ${JSON.stringify(answer)}`);
    }
    return answer;
  },
  async showQuickPick<T extends QuickPickItem>(
    items: readonly T[],
    options: { title?: string } = {},
  ): Promise<T | undefined> {
    return ui.person.quickPick(items, options);
  },
  async showWorkspaceFolderPick(): Promise<FolderEntry | undefined> {
    return folders[0];
  },
  showInformationMessage: (text: string, ...items: unknown[]) => message('info', text, items),
  showWarningMessage: (text: string, ...items: unknown[]) => message('warning', text, items),
  showErrorMessage: (text: string, ...items: unknown[]) => message('error', text, items),

  createOutputChannel(name: string) {
    return {
      name,
      appendLine: (line: string) => void ui.shown.output.push(...line.split('\n')),
      show: () => undefined,
      dispose: () => undefined,
    };
  },
  createStatusBarItem() {
    return {
      name: '',
      get text() {
        return ui.shown.statusBar.text;
      },
      set text(value: string) {
        ui.shown.statusBar.text = value;
      },
      set tooltip(value: string) {
        ui.shown.statusBar.tooltip = value;
      },
      set command(value: unknown) {
        ui.shown.statusBar.command = value;
      },
      show: () => void (ui.shown.statusBar.visible = true),
      dispose: () => void (ui.shown.statusBar.visible = false),
    };
  },
  async withProgress<T>(
    _options: unknown,
    task: (
      progress: { report(value: { message?: string }): void },
      token: {
        isCancellationRequested: boolean;
        onCancellationRequested: (listener: Listener<void>) => Disposable;
      },
    ) => Promise<T>,
  ): Promise<T> {
    const cancel = new EventEmitter<void>();
    return task(
      { report: ({ message }) => message && ui.shown.progress.push(message) },
      { isCancellationRequested: false, onCancellationRequested: cancel.event },
    );
  },
  createTreeView(viewId: string, options: { treeDataProvider: unknown }) {
    const entry: { provider: unknown; message?: string } = { provider: options.treeDataProvider };
    trees.set(viewId, entry);
    return {
      set message(value: string) {
        entry.message = value;
      },
      dispose: () => trees.delete(viewId),
    };
  },
};

async function message(
  kind: 'info' | 'warning' | 'error',
  text: string,
  rest: unknown[],
): Promise<string | undefined> {
  const items = rest.filter((item): item is string => typeof item === 'string');
  ui.shown.messages.push({ kind, text, items });
  const answer = ui.person.message(kind, text, items);
  return answer !== undefined && items.includes(answer) ? answer : undefined;
}

export const workspace = {
  get workspaceFolders(): readonly FolderEntry[] | undefined {
    return folders.length === 0 ? undefined : folders;
  },
  get textDocuments(): readonly TextDocument[] {
    return documents;
  },
  getConfiguration(section: string) {
    return {
      get: <T>(key: string): T | undefined => settings[`${section}.${key}`] as T | undefined,
    };
  },
  getWorkspaceFolder(uri: Uri): FolderEntry | undefined {
    return folders.find((folder) => uri.fsPath.startsWith(`${folder.uri.fsPath}/`));
  },
  asRelativePath(uri: Uri): string {
    const folder = workspace.getWorkspaceFolder(uri);
    return folder ? path.relative(folder.uri.fsPath, uri.fsPath) : uri.fsPath;
  },
  registerTextDocumentContentProvider(scheme: string, provider: ContentProvider): Disposable {
    providers.set(scheme, provider);
    return new Disposable(() => providers.delete(scheme));
  },
  async openTextDocument(uri: Uri): Promise<TextDocument> {
    const open = documents.find((doc) => doc.uri.toString() === uri.toString());
    if (open) return open;
    const provider = providers.get(uri.scheme);
    const text = provider
      ? await provider.provideTextDocumentContent(uri)
      : readFileSync(uri.fsPath, 'utf8');
    const doc = new TextDocument(uri, text);
    documents.push(doc);
    ui.shown.opened.push(uri.toString());
    return doc;
  },
  /** All or nothing, as VS Code: every file operation is checked before anything changes. */
  async applyEdit(edit: WorkspaceEdit): Promise<boolean> {
    for (const change of edit.edits) {
      if (change.kind === 'create' && existsSync(change.uri.fsPath) && !change.overwrite) {
        return false;
      }
      if (change.kind === 'delete' && !existsSync(change.uri.fsPath) && !change.ignoreIfNotExists) {
        return false;
      }
      if (change.kind === 'rename' && existsSync(change.to.fsPath) && !change.overwrite) {
        return false;
      }
    }
    for (const change of edit.edits) {
      if (change.kind === 'text') {
        (await workspace.openTextDocument(change.uri)).applyText(change.range, change.newText);
      } else if (change.kind === 'create') {
        mkdirSync(path.dirname(change.uri.fsPath), { recursive: true });
        writeFileSync(change.uri.fsPath, change.contents);
      } else if (change.kind === 'delete') {
        rmSync(change.uri.fsPath, { force: true });
      } else {
        mkdirSync(path.dirname(change.to.fsPath), { recursive: true });
        renameSync(change.from.fsPath, change.to.fsPath);
      }
    }
    for (const doc of documents) doc.reload();
    ui.shown.edits.push(edit.edits);
    return true;
  },
};

export const env = {
  async openExternal(uri: Uri): Promise<boolean> {
    ui.shown.opened.push(uri.toString());
    return true;
  },
};

/** What VS Code hands `activate`: subscriptions, secret storage and the workspace's memento. */
export function extensionContext(secrets: Map<string, string> = new Map()) {
  const state = new Map<string, unknown>();
  return {
    subscriptions: [] as { dispose(): unknown }[],
    secrets: {
      get: async (key: string) => secrets.get(key),
      store: async (key: string, value: string) => void secrets.set(key, value),
      delete: async (key: string) => void secrets.delete(key),
      onDidChange: new EventEmitter<unknown>().event,
    },
    workspaceState: {
      get: <T>(key: string): T | undefined => state.get(key) as T | undefined,
      update: async (key: string, value: unknown) => void state.set(key, value),
      keys: () => [...state.keys()],
    },
  };
}
