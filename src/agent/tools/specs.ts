import { deleteFile } from './delete-file.js';
import { editFile } from './edit-file.js';
import { finish } from './finish.js';
import { insertLines } from './insert-lines.js';
import { listFiles } from './list-files.js';
import { readFileTool } from './read-file.js';
import { runCommand } from './run-command.js';
import { search } from './search.js';
import type { ToolSpec } from './types.js';
import { writeFileTool } from './write-file.js';

/** Every tool the agent may call, in the order the model sees them. */
export const TOOL_SPECS: readonly ToolSpec[] = [
  listFiles,
  search,
  readFileTool,
  writeFileTool,
  editFile,
  insertLines,
  deleteFile,
  runCommand,
  finish,
];

export const TOOL_NAMES: readonly string[] = TOOL_SPECS.map((spec) => spec.name);
