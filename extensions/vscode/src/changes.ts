import type * as vscode from 'vscode';
import { gitBlobId, isNoBlob } from '../../../src/client/git-blob.js';
import type { Api } from '../../../src/client/run-api.js';
import { parseUnifiedDiff, type DiffFile } from '../../../src/client/unified-diff.js';
import { fetchFile, fetchPatch } from '../../../src/client/workspace-api.js';
import { AtolyeError } from '../../../src/errors.js';
import { localFile, type LocalFile } from './local-files.js';

/**
 * A thread's changes, file by file, each set against the folder as the user has it now. The
 * patch (`--full-index`) names the blob each change was made from and the blob it makes; the git
 * blob id of the user's file (an editor's unsaved text, else the disk) says whether applying the
 * change would lose anything:
 *
 * - it is the blob the change was made from, or one a run of the thread wrote (a follow-up after an
 *   earlier apply): nothing of the user's is lost, the change is `ready`;
 * - it is already the blob the change makes: `applied`;
 * - anything else is the user's own edit: a `conflict`, never overwritten.
 */

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed';

export type ChangeState =
  { kind: 'ready' } | { kind: 'applied' } | { kind: 'conflict'; reason: string };

export interface FileChange {
  /** The path the change leaves (the old path of a deleted file). */
  path: string;
  /** A renamed file's old path. */
  from?: string;
  change: ChangeKind;
  /** Blob ids and git modes before and after; null for no file. */
  oldId: string | null;
  newId: string | null;
  oldMode: string | null;
  newMode: string | null;
  binary: boolean;
  added: number;
  removed: number;
  state: ChangeState;
}

export interface ThreadChanges {
  threadId: string;
  files: FileChange[];
}

const SYMLINK = '120000';

export async function loadChanges(
  api: Api,
  threadId: string,
  folder: vscode.Uri,
): Promise<ThreadChanges> {
  const patch = new TextDecoder().decode(await fetchPatch(api, threadId));
  const versions = new KnownVersions(api, threadId);
  const files: FileChange[] = [];
  for (const diff of parseUnifiedDiff(patch)) {
    let change = describe(diff);
    if (change.change !== 'deleted' && change.change !== 'added' && change.newId === null) {
      // A rename or a mode change without edits has no index line: the content, the same on both
      // sides, is the agent's copy.
      const id = gitBlobId(await fetchFile(api, threadId, change.path));
      change = { ...change, oldId: id, newId: id };
    }
    files.push({ ...change, state: await stateOf(change, folder, versions) });
  }
  return { threadId, files };
}

function describe(diff: DiffFile): Omit<FileChange, 'state'> {
  const path = diff.newPath ?? diff.oldPath;
  if (path === null) {
    throw new AtolyeError('PATCH_INVALID', 'the thread’s patch has a file without a name');
  }
  const change: ChangeKind =
    diff.oldPath === null
      ? 'added'
      : diff.newPath === null
        ? 'deleted'
        : diff.oldPath !== diff.newPath
          ? 'renamed'
          : 'modified';
  const oldId = diff.oldId === null || isNoBlob(diff.oldId) ? null : diff.oldId;
  const newId = diff.newId === null || isNoBlob(diff.newId) ? null : diff.newId;
  return {
    path,
    ...(change === 'renamed' && diff.oldPath !== null ? { from: diff.oldPath } : {}),
    change,
    oldId,
    newId,
    oldMode: diff.oldMode,
    newMode: diff.newMode,
    binary: diff.binary,
    added: diff.added,
    removed: diff.removed,
  };
}

async function stateOf(
  change: Omit<FileChange, 'state'>,
  folder: vscode.Uri,
  versions: KnownVersions,
): Promise<ChangeState> {
  if (change.oldMode === SYMLINK || change.newMode === SYMLINK) {
    return conflict(
      'a symbolic link, which VS Code cannot write; take it with `npx atolye apply` in a terminal',
    );
  }
  const target = await localFile(folder, change.path);
  const source =
    change.from === undefined ? target : await localFile(folder, change.from as string);
  if (change.change !== 'deleted' && target !== undefined) {
    const kind = notAFile(target);
    if (kind) return conflict(kind);
    if (blobOf(target, change.newId) === change.newId && !modeDiffers(target, change.newMode)) {
      return change.from === undefined || source === undefined
        ? { kind: 'applied' }
        : conflict(`${change.from} is still in the folder beside ${change.path}`);
    }
  }
  if (change.change === 'added') {
    return target === undefined
      ? { kind: 'ready' }
      : conflict(unsavedOr(target, 'a different file by this name is already in the folder'));
  }
  if (source === undefined) {
    return change.change === 'deleted'
      ? { kind: 'applied' }
      : conflict(`${change.from ?? change.path} is no longer in the folder`);
  }
  const kind = notAFile(source);
  if (kind) return conflict(kind);
  if (change.change === 'renamed' && target !== undefined) {
    return conflict(`a different ${change.path} is already in the folder`);
  }
  const id = blobOf(source, change.oldId);
  const from = change.from ?? change.path;
  if (id === change.oldId || (await versions.wrote(from, id))) return { kind: 'ready' };
  return conflict(
    unsavedOr(
      source,
      'changed since Atölye took it: applying would overwrite your edits; compare them in the diff and merge by hand',
    ),
  );
}

function blobOf(file: LocalFile, like: string | null): string {
  return gitBlobId(file.bytes, like ?? '');
}

/** Only the executable bit is a mode VS Code users see change; git knows no other for files. */
function modeDiffers(file: LocalFile, mode: string | null): boolean {
  if (mode === null || file.unsaved) return false;
  return ((file.mode & 0o100) !== 0) !== (mode === '100755');
}

function notAFile(file: LocalFile): string | undefined {
  if (file.kind === 'file') return undefined;
  return file.kind === 'directory'
    ? 'a folder of that name is in the way'
    : 'the folder has a symbolic link or special file there; take the change with `npx atolye apply`';
}

function unsavedOr(file: LocalFile, otherwise: string): string {
  return file.unsaved
    ? 'has unsaved edits in an editor that applying would overwrite: save or revert them, then apply again'
    : otherwise;
}

function conflict(reason: string): ChangeState {
  return { kind: 'conflict', reason };
}

/**
 * The blobs each run of the thread wrote, read from the runs' own patches only when a file is
 * neither the version the thread started from nor the one it ends with: after an earlier run's
 * changes were applied, the folder holds that run's version, which a follow-up may replace.
 */
class KnownVersions {
  private written: Promise<Map<string, Set<string>>> | undefined;

  constructor(
    private readonly api: Api,
    private readonly threadId: string,
  ) {}

  async wrote(path: string, id: string): Promise<boolean> {
    this.written ??= this.load();
    return (await this.written).get(path)?.has(id) ?? false;
  }

  private async load(): Promise<Map<string, Set<string>>> {
    const written = new Map<string, Set<string>>();
    const runs = await this.api.client.runs.list(this.threadId, { limit: 100 });
    for (const run of runs) {
      const patch = new TextDecoder().decode(await fetchPatch(this.api, this.threadId, run.run_id));
      for (const diff of parseUnifiedDiff(patch)) {
        if (diff.newPath === null || diff.newId === null || isNoBlob(diff.newId)) continue;
        const ids = written.get(diff.newPath) ?? new Set<string>();
        ids.add(diff.newId);
        written.set(diff.newPath, ids);
      }
    }
    return written;
  }
}
