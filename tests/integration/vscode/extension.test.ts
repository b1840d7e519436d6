import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import type * as vscode from 'vscode';
import { onRunPaused } from '../../../extensions/vscode/src/approval.js';
import { activateWith } from '../../../extensions/vscode/src/extension.js';
import type { FileChange } from '../../../extensions/vscode/src/changes.js';
import { gitBlobId } from '../../../src/client/git-blob.js';
import { eventually } from '../../helpers/eventually.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';
import { startStepHost, type StepHost } from '../orchestrator/helpers.js';
import {
  commands,
  extensionContext,
  openWindow,
  treeOf,
  ui,
  window,
  workspace,
  Uri,
  type Person,
  type TextDocument,
} from './fake-vscode.js';

// The extension's own code — commands, the Review Changes view, apply, errors — against a real
// orchestrator in front of a real worker host running the scripted steps, with VS Code's API faked
// at the `vscode` module (fake-vscode.ts). The scripted `tools` step writes nothing, so the tests
// write the agent's changes into the thread's workspace themselves: after a run, or during one
// whose task says "block" (its first `act` waits 2.5 s), which the run's own snapshots then see.

const PROJECT = {
  '.gitignore': '*.log\n',
  'src/calc.py': 'def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n',
  'src/old.py': 'print("old")\n',
  'README.md': '# calc\n',
  'debug.log': 'ignored',
  'node_modules/dep/index.js': 'never sent',
  '.env': 'API_KEY=local-secret\n',
};
const FIXED = PROJECT['src/calc.py'].replace('a - b', 'a + b');
const LOGO = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff]);

let root: ReturnType<typeof tempDir>;
let stepHost: StepHost;
let api: TestApi;
let count = 0;

beforeAll(async () => {
  root = tempDir('atolye-vscode-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(root.dir, stepHost);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

/** A copy of the project opened in a fresh window with the extension active. */
function openProject(
  options: { key?: string | null; url?: string; env?: NodeJS.ProcessEnv } = {},
): { folder: string; secrets: Map<string, string> } {
  count += 1;
  const folder = path.join(root.dir, `project-${count}`);
  writeFiles(folder, PROJECT);
  openWindow(folder, { 'atolye.apiUrl': options.url ?? api.url });
  const secrets = new Map<string, string>();
  if (options.key !== null) secrets.set('atolye.apiKey', options.key ?? api.key);
  const context = extensionContext(secrets);
  activateWith(context as unknown as vscode.ExtensionContext, options.env ?? {});
  answer({});
  return { folder, secrets };
}

function answer(person: Partial<Person>): void {
  ui.person = {
    inputBox: () => undefined,
    quickPick: () => undefined,
    message: () => undefined,
    ...person,
  };
}

async function runTask(task: string, command = 'atolye.runTask'): Promise<string> {
  answer({ inputBox: () => task });
  await commands.executeCommand(command);
  return threadInOutput();
}

/** The thread the last new task started, as the output channel names it. */
function threadInOutput(): string {
  const lines = ui.shown.output.map((line) => /^thread (\S+)$/.exec(line)?.[1]);
  const threadId = lines.filter(Boolean).at(-1);
  if (!threadId) throw new Error(`no thread in the output:\n${ui.shown.output.join('\n')}`);
  return threadId;
}

function workspaceOf(threadId: string): string {
  return path.join(api.workspaceRoot, threadId);
}

/** The agent's work: a fix, a deletion, a rename, a new test and a new binary file. */
function changeWorkspace(threadId: string): void {
  const workspace = workspaceOf(threadId);
  writeFileSync(path.join(workspace, 'src/calc.py'), FIXED);
  rmSync(path.join(workspace, 'README.md'));
  cpSync(path.join(workspace, 'src/old.py'), path.join(workspace, 'src/legacy.py'));
  rmSync(path.join(workspace, 'src/old.py'));
  writeFiles(workspace, { 'tests/test_calc.py': 'from calc import add\nassert add(1, 2) == 3\n' });
  writeFileSync(path.join(workspace, 'logo.png'), LOGO);
}

interface ChangesProvider {
  getChildren(): FileChange[];
  getTreeItem(file: FileChange): {
    label: string;
    description?: string;
    tooltip?: string;
    contextValue?: string;
    iconPath?: { id: string };
  };
}

function changesShown(): FileChange[] {
  return (treeOf('atolye.changes')?.provider as ChangesProvider).getChildren();
}

/** The rows of the view as VS Code draws them. */
function rowsShown(): { label: string; description?: string; context?: string; icon?: string }[] {
  const provider = treeOf('atolye.changes')?.provider as ChangesProvider;
  return provider.getChildren().map((file) => {
    const item = provider.getTreeItem(file);
    return {
      label: item.label,
      description: item.description,
      context: item.contextValue,
      icon: item.iconPath?.id,
    };
  });
}

function messages(kind: 'info' | 'warning' | 'error'): string[] {
  return ui.shown.messages.filter((message) => message.kind === kind).map((m) => m.text);
}

describe('Atölye: Run Task on Workspace', () => {
  it('uploads the folder less ignored files and secrets, and shows the run step by step', async () => {
    const { folder } = openProject();
    const threadId = await runTask('fix the calculator');

    const output = ui.shown.output;
    expect(output[0]).toBe(`thread ${threadId}`);
    expect(output).toContainEqual(
      expect.stringMatching(/^sent 4 files \(.*\) from .*; skipped 1; baseline [0-9a-f]{12}$/),
    );
    expect(output).toContain('  .env: not sent (secret)');
    expect(output).toContain('task: fix the calculator');
    expect(output).toContainEqual(expect.stringMatching(/^run \S+$/));
    expect(output).toContainEqual(expect.stringMatching(/^ {2}plan\s+\d+(\.\d)? m?s/));
    expect(output).toContain('      → write_file path=notes.txt');
    expect(output).toContainEqual(expect.stringMatching(/^run \S+ success in /));
    expect(ui.shown.progress.slice(0, 3)).toEqual([
      `packing ${path.basename(folder)}…`,
      expect.stringMatching(/^uploading 4 files \(\d+ B\)…$/),
      'starting the run…',
    ]);
    expect(ui.shown.progress).toContain('plan done');
    expect(ui.shown.progress).toContain('finalize done');
    expect(ui.shown.statusBar).toMatchObject({
      text: '$(check) Atölye: nothing to review',
      visible: true,
    });
    expect(messages('info')).toEqual(['Atölye: the run succeeded, no changes to apply.']);

    const tree = (await (
      await fetch(`${api.url}/threads/${threadId}/files`, {
        headers: { 'x-api-key': api.key },
      })
    ).json()) as { files: { path: string; type: string }[] };
    expect(tree.files.filter((file) => file.type === 'file').map((file) => file.path)).toEqual([
      '.gitignore',
      'README.md',
      'src/calc.py',
      'src/old.py',
    ]);
  });

  it('says what went wrong when the model fails, in the words of the API', async () => {
    openProject();
    await runTask('act-fails on purpose');
    expect(messages('error')).toEqual([
      'Atölye: the run ended with status error (MODEL_REJECTED: step act failed: function act failed: the model rejected the request (scripted))',
    ]);
    expect(ui.shown.statusBar.text).toBe('$(error) Atölye: error');
  });

  it('a follow-up runs on the same thread; with no earlier task it says what to run', async () => {
    const { folder } = openProject();
    await commands.executeCommand('atolye.runFollowUp');
    expect(messages('error')).toEqual([
      `Atölye: no task has run on ${path.basename(folder)} yet: start with “Atölye: Run Task on Workspace”`,
    ]);
    const threadId = await runTask('first');
    ui.shown.output.length = 0;
    let prompt = '';
    answer({
      inputBox: (options) => {
        prompt = options.prompt ?? '';
        return 'second';
      },
    });
    await commands.executeCommand('atolye.runFollowUp');
    expect(prompt).toContain(`runs on thread ${threadId}`);
    expect(ui.shown.output).not.toContainEqual(expect.stringMatching(/^sent /));
    const runs = (await (
      await fetch(`${api.url}/threads/${threadId}/runs`, {
        headers: { 'x-api-key': api.key },
      })
    ).json()) as unknown[];
    expect(runs).toHaveLength(2);
  });

  it('cancels the run it follows', async () => {
    openProject();
    answer({ inputBox: () => 'block and be cancelled' });
    const running = commands.executeCommand('atolye.runTask');
    await eventually('the plan', () => ui.shown.progress.includes('plan done'), {
      timeoutMs: 20_000,
    });
    await commands.executeCommand('atolye.cancelRun');
    await running;
    expect(messages('info')).toContain('Atölye: cancelling the run…');
    expect(messages('error')).toEqual([
      expect.stringMatching(/^Atölye: the run ended with status (interrupted|error) \(.*cancel/),
    ]);
  });
});

describe('Review Changes and Apply', () => {
  it('lists the changed files and opens the diff editor: the file on disk left, the agent right', async () => {
    const { folder } = openProject();
    const threadId = await runTask('make changes');
    changeWorkspace(threadId);
    await commands.executeCommand('atolye.reviewChanges');

    const shown = changesShown().map((file) => [
      file.change,
      file.path,
      file.from,
      file.state.kind,
    ]);
    expect(shown).toEqual([
      ['deleted', 'README.md', undefined, 'ready'],
      ['added', 'logo.png', undefined, 'ready'],
      ['modified', 'src/calc.py', undefined, 'ready'],
      ['renamed', 'src/legacy.py', 'src/old.py', 'ready'],
      ['added', 'tests/test_calc.py', undefined, 'ready'],
    ]);
    expect(treeOf('atolye.changes')?.message).toBe(`Thread ${threadId}: 5 files changed.`);
    expect(rowsShown().slice(2, 4)).toEqual([
      {
        label: 'src/calc.py',
        description: 'modified · +1 −1',
        context: 'change-ready',
        icon: 'diff-modified',
      },
      {
        label: 'src/legacy.py',
        description: 'renamed from src/old.py · +0 −0',
        context: 'change-ready',
        icon: 'diff-renamed',
      },
    ]);
    expect(rowsShown()[1]?.description).toBe('added · binary');
    const diff = ui.shown.commands.find((command) => command.id === 'vscode.diff');
    const [left, right, title] = diff?.args as [vscode.Uri, vscode.Uri, string];
    // README.md comes first and is deleted: the agent's side is empty.
    expect(left.fsPath).toBe(path.join(folder, 'README.md'));
    expect(title).toBe('README.md (yours ↔ Atölye)');
    expect((await workspace.openTextDocument(right as never)).getText()).toBe('');

    const calc = changesShown().find((file) => file.path === 'src/calc.py');
    await commands.executeCommand('atolye.openDiff', calc);
    const [calcLeft, calcRight] = ui.shown.commands.at(-1)?.args as [vscode.Uri, vscode.Uri];
    expect(calcLeft.fsPath).toBe(path.join(folder, 'src/calc.py'));
    expect(calcRight.scheme).toBe('atolye-agent');
    expect((await workspace.openTextDocument(calcRight as never)).getText()).toBe(FIXED);

    await commands.executeCommand('atolye.openDiff', changesShown()[1]);
    expect(messages('info').at(-1)).toContain('logo.png is a binary file');
  });

  it('Apply All takes every change in, text files as saved text edits, and says so', async () => {
    const { folder } = openProject();
    const threadId = await runTask('make changes');
    changeWorkspace(threadId);
    await commands.executeCommand('atolye.applyAll');

    expect(readFileSync(path.join(folder, 'src/calc.py'), 'utf8')).toBe(FIXED);
    expect(existsSync(path.join(folder, 'README.md'))).toBe(false);
    expect(existsSync(path.join(folder, 'src/old.py'))).toBe(false);
    expect(readFileSync(path.join(folder, 'src/legacy.py'), 'utf8')).toBe(PROJECT['src/old.py']);
    expect(readFileSync(path.join(folder, 'logo.png'))).toEqual(LOGO);
    expect(readFileSync(path.join(folder, 'tests/test_calc.py'), 'utf8')).toContain('add(1, 2)');
    // What stayed home is untouched.
    expect(readFileSync(path.join(folder, '.env'), 'utf8')).toBe(PROJECT['.env']);

    // One WorkspaceEdit: calc.py changed as text (the editor's Undo takes it back), the rest as files.
    expect(ui.shown.edits).toHaveLength(1);
    const kinds = ui.shown.edits[0]?.map((edit) =>
      edit.kind === 'rename'
        ? `rename ${path.basename(edit.from.fsPath)}`
        : `${edit.kind} ${path.basename(edit.uri.fsPath)}`,
    );
    expect(kinds).toEqual([
      'delete README.md',
      'create logo.png',
      'text calc.py',
      'rename old.py',
      'create test_calc.py',
    ]);
    const text = ui.shown.edits[0]?.find((edit) => edit.kind === 'text');
    expect(text).toMatchObject({ newText: '+' });
    expect(workspace.textDocuments.find((doc) => doc.uri.fsPath.endsWith('calc.py'))?.isDirty).toBe(
      false,
    );

    expect(messages('info').at(-1)).toBe(
      `Atölye: applied 5 changes to ${path.basename(folder)}: README.md, logo.png, src/calc.py, src/legacy.py, tests/test_calc.py.`,
    );
    expect(changesShown()).toEqual([]);
    expect(treeOf('atolye.changes')?.message).toContain('its changes are applied or discarded');
    expect(ui.shown.statusBar.text).toBe('$(check) Atölye: nothing to review');

    await commands.executeCommand('atolye.applyAll');
    expect(messages('info').at(-1)).toBe(`Atölye: nothing to apply from thread ${threadId}.`);
  });

  it('refuses a file edited since it was sent, applies the others, and names the file and why', async () => {
    const { folder } = openProject();
    const threadId = await runTask('make changes');
    changeWorkspace(threadId);
    const mine = 'def add(a, b):\n    return b - a\n';
    writeFileSync(path.join(folder, 'src/calc.py'), mine);
    await commands.executeCommand('atolye.applyAll');

    expect(readFileSync(path.join(folder, 'src/calc.py'), 'utf8')).toBe(mine);
    expect(existsSync(path.join(folder, 'README.md'))).toBe(false);
    expect(messages('warning').at(-1)).toBe(
      `Atölye: applied 4 changes from thread ${threadId}; refused src/calc.py: changed since Atölye took it: applying would overwrite your edits; compare them in the diff and merge by hand`,
    );
    expect(ui.shown.output).toContain(
      'refused  src/calc.py: changed since Atölye took it: applying would overwrite your edits; compare them in the diff and merge by hand',
    );
    expect(rowsShown()).toEqual([
      {
        label: 'src/calc.py',
        description: 'modified · conflict',
        context: 'change-conflict',
        icon: 'warning',
      },
    ]);
  });

  it('refuses a file with unsaved edits in an editor instead of overwriting them', async () => {
    const { folder } = openProject();
    const threadId = await runTask('make changes');
    changeWorkspace(threadId);
    const doc = await workspace.openTextDocument(Uri.file(path.join(folder, 'src/calc.py')));
    doc.type('def add(a, b):\n    return 42\n');
    await commands.executeCommand('atolye.applyFile', { path: 'src/calc.py', change: 'modified' });

    expect(doc.getText()).toBe('def add(a, b):\n    return 42\n');
    expect(readFileSync(path.join(folder, 'src/calc.py'), 'utf8')).toBe(PROJECT['src/calc.py']);
    expect(messages('warning').at(-1)).toContain(
      'refused src/calc.py: has unsaved edits in an editor that applying would overwrite: save or revert them, then apply again',
    );

    // Unsaved text that is the version the thread started from is no conflict: it is edited and saved.
    doc.type(PROJECT['src/calc.py']);
    await commands.executeCommand('atolye.applyFile', { path: 'src/calc.py', change: 'modified' });
    expect(readFileSync(path.join(folder, 'src/calc.py'), 'utf8')).toBe(FIXED);
    expect(doc.isDirty).toBe(false);
    expect(messages('info').at(-1)).toBe(
      `Atölye: applied 1 change to ${path.basename(folder)}: src/calc.py.`,
    );
  });

  it('Apply File takes the file of the diff editor; Discard leaves a change out of Apply All', async () => {
    const { folder } = openProject();
    const threadId = await runTask('make changes');
    changeWorkspace(threadId);
    await commands.executeCommand('atolye.reviewChanges');
    const test = changesShown().find((file) => file.path === 'tests/test_calc.py');
    await commands.executeCommand('atolye.openDiff', test);
    const [, right] = ui.shown.commands.at(-1)?.args as [vscode.Uri, vscode.Uri];
    window.activeTextEditor = {
      document: (await workspace.openTextDocument(right as never)) as TextDocument,
    };
    try {
      await commands.executeCommand('atolye.applyFile');
    } finally {
      window.activeTextEditor = undefined;
    }
    expect(existsSync(path.join(folder, 'tests/test_calc.py'))).toBe(true);
    expect(existsSync(path.join(folder, 'logo.png'))).toBe(false);

    const logo = changesShown().find((file) => file.path === 'logo.png');
    await commands.executeCommand('atolye.discard', logo);
    expect(changesShown().map((file) => file.path)).not.toContain('logo.png');
    await commands.executeCommand('atolye.applyAll');
    expect(existsSync(path.join(folder, 'logo.png'))).toBe(false);
    expect(readFileSync(path.join(folder, 'src/calc.py'), 'utf8')).toBe(FIXED);

    // A change the agent makes to a discarded file later shows again.
    writeFileSync(path.join(workspaceOf(threadId), 'logo.png'), Buffer.concat([LOGO, LOGO]));
    await commands.executeCommand('atolye.reviewChanges');
    expect(changesShown().map((file) => file.path)).toEqual(['logo.png']);
    answer({
      message: (kind, text) =>
        kind === 'warning' && text.startsWith('Discard') ? 'Discard' : undefined,
    });
    await commands.executeCommand('atolye.discard');
    expect(changesShown()).toEqual([]);
  });

  it('after an earlier apply, a follow-up’s change to the same file applies over it', async () => {
    const { folder } = openProject();
    answer({ inputBox: () => 'block: first fix' });
    const first = commands.executeCommand('atolye.runTask');
    await eventually('the plan', () => ui.shown.progress.includes('plan done'), {
      timeoutMs: 20_000,
    });
    const threadId = threadInOutput();
    writeFileSync(path.join(workspaceOf(threadId), 'src/calc.py'), FIXED);
    await first;
    await commands.executeCommand('atolye.applyAll');
    expect(readFileSync(path.join(folder, 'src/calc.py'), 'utf8')).toBe(FIXED);

    const more = `${FIXED}\n\ndef sub(a, b):\n    return a - b\n`;
    ui.shown.progress.length = 0;
    answer({ inputBox: () => 'block: add sub' });
    const second = commands.executeCommand('atolye.runFollowUp');
    await eventually('the plan', () => ui.shown.progress.includes('plan done'), {
      timeoutMs: 20_000,
    });
    writeFileSync(path.join(workspaceOf(threadId), 'src/calc.py'), more);
    await second;
    await commands.executeCommand('atolye.reviewChanges');
    expect(changesShown().map((file) => [file.path, file.state.kind])).toEqual([
      ['src/calc.py', 'ready'],
    ]);
    await commands.executeCommand('atolye.applyAll');
    expect(readFileSync(path.join(folder, 'src/calc.py'), 'utf8')).toBe(more);
  });
});

describe('what the folder holds decides', () => {
  it('names that git quotes (letters beyond ASCII, spaces) are listed, compared and applied', async () => {
    const { folder } = openProject();
    const threadId = await runTask('write notes');
    writeFiles(workspaceOf(threadId), {
      'notlar/çalışma planı.md': '# Plan\n',
      'my notes.txt': 'notes\n',
      'say "hi"\t.txt': 'hi\n',
    });
    await commands.executeCommand('atolye.reviewChanges');
    expect(changesShown().map((file) => file.path)).toEqual([
      'my notes.txt',
      'notlar/çalışma planı.md',
      'say "hi"\t.txt',
    ]);
    const plan = changesShown()[1];
    await commands.executeCommand('atolye.openDiff', plan);
    const [, right] = ui.shown.commands.at(-1)?.args as [vscode.Uri, vscode.Uri];
    expect((await workspace.openTextDocument(right as never)).getText()).toBe('# Plan\n');
    await commands.executeCommand('atolye.applyAll');
    expect(readFileSync(path.join(folder, 'notlar/çalışma planı.md'), 'utf8')).toBe('# Plan\n');
    expect(readFileSync(path.join(folder, 'my notes.txt'), 'utf8')).toBe('notes\n');
    expect(readFileSync(path.join(folder, 'say "hi"\t.txt'), 'utf8')).toBe('hi\n');
  });

  it('sets the executable bit a change sets, with or without a change of content', async () => {
    const { folder } = openProject();
    const threadId = await runTask('scripts');
    const workspace = workspaceOf(threadId);
    writeFiles(workspace, { 'run.sh': '#!/bin/sh\necho hi\n' });
    chmodSync(path.join(workspace, 'run.sh'), 0o755);
    chmodSync(path.join(workspace, 'src/old.py'), 0o755);
    await commands.executeCommand('atolye.reviewChanges');
    expect(changesShown().map((file) => [file.path, file.change, file.newMode])).toEqual([
      ['run.sh', 'added', '100755'],
      ['src/old.py', 'modified', '100755'],
    ]);
    await commands.executeCommand('atolye.applyAll');
    expect(statSync(path.join(folder, 'run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(path.join(folder, 'src/old.py')).mode & 0o111).not.toBe(0);
    expect(readFileSync(path.join(folder, 'src/old.py'), 'utf8')).toBe(PROJECT['src/old.py']);
    expect(changesShown()).toEqual([]);
  });

  it('refuses what would replace something of the user’s: a new file, a folder, a deletion', async () => {
    const { folder } = openProject();
    const threadId = await runTask('collide');
    const workspace = workspaceOf(threadId);
    writeFiles(workspace, { 'new.py': 'agent\n', 'lib/x.py': 'agent\n' });
    writeFileSync(path.join(workspace, 'src/calc.py'), FIXED);
    writeFileSync(path.join(workspace, 'README.md'), '# calc, better\n');
    writeFiles(folder, { 'new.py': 'mine\n', 'lib/x.py/inner.txt': 'a folder\n' });
    rmSync(path.join(folder, 'src/calc.py'));
    await commands.executeCommand('atolye.applyAll');
    const refused = ui.shown.output.filter((line) => line.startsWith('refused'));
    expect(refused).toEqual([
      'refused  lib/x.py: a folder of that name is in the way',
      'refused  new.py: a different file by this name is already in the folder',
      'refused  src/calc.py: src/calc.py is no longer in the folder',
    ]);
    expect(readFileSync(path.join(folder, 'new.py'), 'utf8')).toBe('mine\n');
    expect(readFileSync(path.join(folder, 'README.md'), 'utf8')).toBe('# calc, better\n');
  });

  it('Apply File asks which file when neither the view nor the editor says', async () => {
    const { folder } = openProject();
    const threadId = await runTask('two files');
    writeFiles(workspaceOf(threadId), { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
    let offered: string[] = [];
    answer({
      quickPick: (items) => {
        offered = items.map((item) => item.label);
        return items[1];
      },
    });
    await commands.executeCommand('atolye.applyFile');
    expect(offered).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(existsSync(path.join(folder, 'b.txt'))).toBe(true);
    expect(existsSync(path.join(folder, 'a.txt'))).toBe(false);

    // The file of the editor in front is the one meant.
    writeFileSync(path.join(workspaceOf(threadId), 'src/calc.py'), FIXED);
    const calc = await workspace.openTextDocument(Uri.file(path.join(folder, 'src/calc.py')));
    window.activeTextEditor = { document: calc };
    try {
      await commands.executeCommand('atolye.applyFile');
    } finally {
      window.activeTextEditor = undefined;
    }
    expect(readFileSync(path.join(folder, 'src/calc.py'), 'utf8')).toBe(FIXED);

    // Leaving the picker applies nothing, and says nothing.
    const shown = ui.shown.messages.length;
    answer({});
    await commands.executeCommand('atolye.applyFile');
    expect(ui.shown.messages).toHaveLength(shown);
    expect(existsSync(path.join(folder, 'a.txt'))).toBe(false);
  });
});

describe('settings, key and failures', () => {
  it('Set API Key keeps the key in secret storage and checks it with the API', async () => {
    const { secrets } = openProject({ key: null });
    let asked = false;
    answer({ inputBox: () => ((asked = true), 'fix it') });
    await commands.executeCommand('atolye.runTask');
    // Said before the task is typed, so the typing is not lost.
    expect(asked).toBe(false);
    expect(ui.shown.messages.at(-1)).toEqual({
      kind: 'error',
      text: 'Atölye: no API key for the run API: set one with “Atölye: Set API Key” (create one with `npx atolye keys create --name me`), or start VS Code with ATOLYE_API_KEY set',
      items: ['Set API Key', 'Show Output'],
    });

    let options: { password?: boolean } = {};
    answer({
      inputBox: (given) => {
        options = given;
        return `  ${api.key}  `;
      },
    });
    await commands.executeCommand('atolye.setApiKey');
    expect(options.password).toBe(true);
    expect(secrets.get('atolye.apiKey')).toBe(api.key);
    expect(messages('info').at(-1)).toBe(
      `Atölye: the key is saved, and the run API at ${api.url} accepts it.`,
    );

    answer({ inputBox: () => 'atk_wrong' });
    await commands.executeCommand('atolye.setApiKey');
    expect(ui.shown.messages.at(-1)).toEqual({
      kind: 'error',
      text: 'Atölye: the API key is unknown or revoked; set the key with “Atölye: Set API Key” (create one with `npx atolye keys create --name me`)',
      items: ['Set API Key', 'Show Output'],
    });
  });

  it('takes the key from ATOLYE_API_KEY when none is stored', async () => {
    openProject({ key: null, env: { ATOLYE_API_KEY: api.key } });
    await runTask('with the key from the environment');
    expect(messages('info')).toEqual(['Atölye: the run succeeded, no changes to apply.']);
  });

  it('an API that does not answer is one message naming atolye.apiUrl, with a button to it', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    openProject({ url });
    answer({ inputBox: () => 'anything', message: (_kind, _text, items) => items[0] });
    await commands.executeCommand('atolye.runTask');
    const opened = ui.shown.commands.filter(
      (command) => command.id === 'workbench.action.openSettings',
    );
    expect(ui.shown.messages.at(-1)).toEqual({
      kind: 'error',
      text: expect.stringMatching(
        new RegExp(
          `^Atölye: the run API at ${url} does not answer \\(.*\\); start it with \`npm run deploy\`, or set atolye.apiUrl$`,
        ),
      ),
      items: ['Open Settings', 'Show Output'],
    });
    expect(opened).toEqual([{ id: 'workbench.action.openSettings', args: ['atolye.apiUrl'] }]);
  });

  it('without an open folder, says to open one', async () => {
    openWindow(undefined);
    activateWith(extensionContext() as unknown as vscode.ExtensionContext, {});
    answer({});
    await commands.executeCommand('atolye.reviewChanges');
    expect(messages('error')).toEqual([
      'Atölye: open a folder first (File → Open Folder…): Atölye works on the code of an open folder',
    ]);
  });
});

describe('Show Runs', () => {
  it('lists the folder’s runs with their status and opens one in the dashboard', async () => {
    openProject();
    const threadId = await runTask('the first task');
    await runTask('act-fails this time');
    let items: { label: string; description?: string; detail?: string }[] = [];
    answer({
      quickPick: (offered) => {
        if (items.length === 0) {
          items = [...offered];
          return offered[1];
        }
        return offered.find((item) => item.label.includes('Dashboard'));
      },
    });
    await commands.executeCommand('atolye.showRuns');
    expect(items.map((item) => [item.label, item.description])).toEqual([
      ['$(error) act-fails this time', 'error'],
      ['$(check) the first task', 'success'],
    ]);
    const runId = /run (\S+) ·/.exec(items[1]?.detail ?? '')?.[1];
    expect(ui.shown.opened.at(-1)).toBe(`${api.url}/#/run/${threadId}/${runId}`);
  });

  it('says so when the folder has no runs yet', async () => {
    const { folder } = openProject();
    await commands.executeCommand('atolye.showRuns');
    expect(messages('info')).toEqual([
      `Atölye: no runs on ${path.basename(folder)} yet; start one with “Atölye: Run Task on Workspace”.`,
    ]);
  });
});

describe('runs not followed by this window', () => {
  it('Cancel Run finds the folder’s run that is going, and says when none is', async () => {
    openProject();
    const threadId = await runTask('first');
    await commands.executeCommand('atolye.cancelRun');
    expect(messages('info').at(-1)).toMatch(/^Atölye: no run is going on project-\d+\.$/);

    const started = (await (
      await fetch(`${api.url}/threads/${threadId}/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': api.key },
        body: JSON.stringify({ assistant_id: 'atolye', input: { task: 'block elsewhere' } }),
      })
    ).json()) as { run_id: string };
    await commands.executeCommand('atolye.cancelRun');
    expect(messages('info').at(-1)).toBe(`Atölye: cancelling run ${started.run_id}…`);
    const ended = (await (
      await fetch(`${api.url}/threads/${threadId}/runs/${started.run_id}/join`, {
        headers: { 'x-api-key': api.key },
      })
    ).json()) as Record<string, unknown>;
    const run = (await (
      await fetch(`${api.url}/threads/${threadId}/runs/${started.run_id}`, {
        headers: { 'x-api-key': api.key },
      })
    ).json()) as { status: string; stop_reason: string | null };
    expect(ended).toBeDefined();
    expect(run.stop_reason).toBe('cancelled');
  });

  it('Show Runs opens an older thread’s changes for review', async () => {
    const { folder } = openProject();
    const older = await runTask('older');
    writeFiles(workspaceOf(older), { 'older.txt': 'from the older thread\n' });
    await runTask('newer');
    answer({
      quickPick: (items) =>
        items.find((item) => item.label.includes('older')) ??
        items.find((item) => item.label.includes('Review')),
    });
    await commands.executeCommand('atolye.showRuns');
    expect(changesShown().map((file) => file.path)).toEqual(['older.txt']);
    answer({});
    await commands.executeCommand('atolye.applyAll');
    expect(readFileSync(path.join(folder, 'older.txt'), 'utf8')).toBe('from the older thread\n');
  });
});

test('a paused run is reported as waiting for an approval this version cannot give', async () => {
  openWindow(undefined);
  answer({ message: (_kind, _text, items) => items[0] });
  await onRunPaused({ threadId: 't', runId: 'r', dashboardUrl: 'http://127.0.0.1:1/#/run/t/r' });
  expect(ui.shown.messages).toEqual([
    {
      kind: 'warning',
      text: 'Atölye: run r is paused, waiting for an approval that this version of the extension cannot give yet.',
      items: ['Open in Dashboard'],
    },
  ]);
  expect(ui.shown.opened).toEqual(['http://127.0.0.1:1/#/run/t/r']);
});

test('the blob ids compared are git’s own', () => {
  const file = path.join(root.dir, 'blob.bin');
  writeFileSync(file, LOGO);
  const git = execFileSync('git', ['hash-object', file]).toString().trim();
  expect(gitBlobId(new Uint8Array(LOGO))).toBe(git);
  expect(gitBlobId(new Uint8Array(LOGO), 'x'.repeat(64))).toHaveLength(64);
  expect(statSync(file).size).toBe(LOGO.length);
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
