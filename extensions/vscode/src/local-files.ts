import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';

/**
 * A file of the folder as the user has it now: the text of an open editor with unsaved edits, or
 * else the bytes on disk. That is what a change must have been made from to be applied safely.
 */

export interface LocalFile {
  kind: 'file' | 'symlink' | 'directory' | 'other';
  /** The unsaved text (as UTF-8) or the bytes on disk; empty for anything but a file. */
  bytes: Uint8Array;
  /** True when the bytes are an editor's unsaved text. */
  unsaved: boolean;
  /** The permission bits on disk (0o755 for an executable file). */
  mode: number;
}

export function uriOf(folder: vscode.Uri, relative: string): vscode.Uri {
  return vscode.Uri.joinPath(folder, ...relative.split('/'));
}

export function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === uri.toString());
}

/** The file now, or undefined when the folder has nothing at that path. */
export async function localFile(
  folder: vscode.Uri,
  relative: string,
): Promise<LocalFile | undefined> {
  const uri = uriOf(folder, relative);
  const file = path.join(folder.fsPath, ...relative.split('/'));
  let stats;
  try {
    stats = await lstat(file);
  } catch {
    stats = undefined;
  }
  const doc = openDocument(uri);
  if (doc?.isDirty) {
    const bytes = new TextEncoder().encode(doc.getText());
    return { kind: 'file', bytes, unsaved: true, mode: (stats?.mode ?? 0o644) & 0o777 };
  }
  if (stats === undefined) return undefined;
  const kind = stats.isFile()
    ? 'file'
    : stats.isSymbolicLink()
      ? 'symlink'
      : stats.isDirectory()
        ? 'directory'
        : 'other';
  const bytes = kind === 'file' ? new Uint8Array(await readFile(file)) : new Uint8Array();
  return { kind, bytes, unsaved: false, mode: stats.mode & 0o777 };
}
