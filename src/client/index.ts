/** The local side of a thread's workspace, for the CLI and the VS Code extension alike. */
export {
  packFolder,
  type FolderArchive,
  type PackOptions,
  type PackProgress,
} from './folder-archive.js';
export type { SkippedEntry, SkipReason } from './folder-selection.js';
export {
  applyPatch,
  ApplyConflictError,
  type ApplyConflict,
  type ApplyResult,
  type FileChange,
} from './apply.js';
