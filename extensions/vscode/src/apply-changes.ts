import { chmod, stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { gitBlobId } from '../../../src/client/git-blob.js';
import type { Api } from '../../../src/client/run-api.js';
import { fetchFile } from '../../../src/client/workspace-api.js';
import { AtolyeError } from '../../../src/errors.js';
import { loadChanges, type FileChange } from './changes.js';
import { localFile, uriOf } from './local-files.js';

/**
 * Takes a thread's changes into the folder through one `WorkspaceEdit` — text files as text edits
 * (so Undo in the editor takes them back), new, deleted, renamed and binary files as file
 * operations — then saves what it edited. Each file is checked against the folder again right
 * before (see changes.ts): a file with the user's own edits is refused, never overwritten.
 */

export interface ApplyReport {
  applied: FileChange[];
  /** Changes refused, each with the reason. */
  refused: { path: string; reason: string }[];
  /** Applied and saved, but the file on disk is not byte for byte the agent's version. */
  differing: string[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Applies the changes to `paths` (all of the thread's changes when undefined). */
export async function applyChanges(
  api: Api,
  threadId: string,
  folder: vscode.Uri,
  paths?: readonly string[],
): Promise<ApplyReport> {
  const { files } = await loadChanges(api, threadId, folder);
  const wanted = files.filter((file) => paths === undefined || paths.includes(file.path));
  const refused = wanted.flatMap((file) =>
    file.state.kind === 'conflict' ? [{ path: file.path, reason: file.state.reason }] : [],
  );
  const ready = wanted.filter((file) => file.state.kind === 'ready');
  if (ready.length === 0) return { applied: [], refused, differing: [] };

  const edit = new vscode.WorkspaceEdit();
  const toSave: vscode.Uri[] = [];
  const metadata = { label: `Atölye: changes of thread ${threadId}`, needsConfirmation: false };
  for (const file of ready) {
    const target = uriOf(folder, file.path);
    if (file.change === 'deleted') {
      edit.deleteFile(target, { ignoreIfNotExists: true }, metadata);
      continue;
    }
    const agent = await agentVersion(api, threadId, file);
    if (file.change === 'renamed') {
      const source = uriOf(folder, file.from as string);
      if (file.oldId === file.newId) {
        edit.renameFile(source, target, { overwrite: false }, metadata);
      } else {
        edit.deleteFile(source, {}, metadata);
        edit.createFile(target, { contents: agent }, metadata);
      }
    } else if (file.change === 'added') {
      edit.createFile(target, { contents: agent }, metadata);
    } else {
      const text = await textEdit(folder, file, agent);
      if (text === undefined) {
        edit.createFile(target, { overwrite: true, contents: agent }, metadata);
      } else if (text !== null) {
        edit.replace(target, text.range, text.newText, metadata);
        toSave.push(target);
      }
    }
  }
  if (!(await vscode.workspace.applyEdit(edit))) {
    throw new AtolyeError(
      'APPLY_REFUSED',
      'VS Code did not apply the changes (a file may be read-only or locked); nothing was changed',
    );
  }
  for (const uri of toSave) {
    const doc = await vscode.workspace.openTextDocument(uri);
    if (!(await doc.save())) {
      throw new AtolyeError(
        'SAVE_FAILED',
        `${vscode.workspace.asRelativePath(uri)} was changed in the editor but could not be saved; save it by hand`,
      );
    }
  }
  const differing: string[] = [];
  for (const file of ready) {
    if (file.change === 'deleted') continue;
    await applyMode(folder, file);
    const now = await localFile(folder, file.path);
    if (now === undefined || gitBlobId(now.bytes, file.newId ?? '') !== file.newId) {
      differing.push(file.path);
    }
  }
  return { applied: ready, refused, differing };
}

/** The agent's bytes, checked against the patch: a thread that moved on since is not half-applied. */
async function agentVersion(api: Api, threadId: string, file: FileChange): Promise<Uint8Array> {
  const bytes = await fetchFile(api, threadId, file.path);
  if (gitBlobId(bytes, file.newId ?? '') !== file.newId) {
    throw new AtolyeError(
      'THREAD_CHANGED',
      `the thread's ${file.path} changed while its changes were being applied (is a run still going?); nothing was changed: review the changes again`,
      { retryable: true },
    );
  }
  return bytes;
}

/**
 * The smallest text edit turning the document into the agent's text: the span between their
 * common start and common end. Undefined when either side is not UTF-8 text (written as bytes
 * instead); null when the text is already the same (only the mode changes).
 */
async function textEdit(
  folder: vscode.Uri,
  file: FileChange,
  agent: Uint8Array,
): Promise<{ range: vscode.Range; newText: string } | null | undefined> {
  if (file.binary) return undefined;
  let newText: string;
  try {
    newText = strictUtf8.decode(agent);
    const current = await localFile(folder, file.path);
    if (current && !current.unsaved) strictUtf8.decode(current.bytes);
  } catch {
    return undefined;
  }
  const doc = await vscode.workspace.openTextDocument(uriOf(folder, file.path));
  const oldText = doc.getText();
  if (oldText === newText) return null;
  let start = 0;
  const shorter = Math.min(oldText.length, newText.length);
  while (start < shorter && oldText[start] === newText[start]) start += 1;
  let end = 0;
  while (
    end < shorter - start &&
    oldText[oldText.length - 1 - end] === newText[newText.length - 1 - end]
  ) {
    end += 1;
  }
  // Never split a CRLF or a surrogate pair between the kept and the replaced text.
  while (start > 0 && splits(oldText, start)) start -= 1;
  while (end > 0 && splits(oldText, oldText.length - end)) end -= 1;
  const range = new vscode.Range(doc.positionAt(start), doc.positionAt(oldText.length - end));
  return { range, newText: newText.slice(start, newText.length - end) };
}

function splits(text: string, at: number): boolean {
  const before = text.charCodeAt(at - 1);
  const after = text.charCodeAt(at);
  return (before === 13 && after === 10) || (before >= 0xd800 && before <= 0xdbff);
}

/** WorkspaceEdit writes content only: the executable bit a change sets or clears is set here. */
async function applyMode(folder: vscode.Uri, file: FileChange): Promise<void> {
  if (file.newMode === null || file.newMode === file.oldMode) return;
  if (file.change === 'added' && file.newMode !== '100755') return;
  const target = uriOf(folder, file.path).fsPath;
  const mode = (await stat(target)).mode & 0o777;
  const executable = file.newMode === '100755';
  await chmod(target, executable ? mode | ((mode & 0o444) >> 2) : mode & ~0o111);
}
