import { readBounded } from './bounded-read.js';
import { pathRefused } from './fs-errors.js';
import { editableText } from './lines.js';
import type { Observation, ToolContext } from './types.js';
import { resolveInside } from './workspace.js';

export interface EditableFile {
  absolute: string;
  /** The workspace-relative path the model named, normalised. */
  rel: string;
  text: string;
}

/**
 * The file a tool is about to rewrite, as text: confined to the workspace, within the edit size
 * limit, and UTF-8 (rewriting decoded text would alter any other bytes), or the observation that
 * says why not. `refusal` goes after "File unchanged" in the not-UTF-8 message.
 */
export async function readEditable(
  path: string,
  ctx: ToolContext,
  tool: string,
  refusal = '',
): Promise<EditableFile | Observation> {
  const resolved = await resolveInside(ctx.workspace, path);
  if (!resolved.ok) return pathRefused(resolved);
  const rel = resolved.relative;
  const read = await readBounded(
    resolved.absolute,
    rel,
    ctx.limits.maxFileBytes,
    'edit limit; file unchanged.',
  );
  if (!('bytes' in read)) return read;
  const text = editableText(read.bytes);
  if (text === undefined) {
    return {
      ok: false,
      code: 'NOT_UTF8_TEXT',
      content: `${rel} is not UTF-8 text; ${tool} would alter its other bytes. File unchanged${refusal}.`,
    };
  }
  return { absolute: resolved.absolute, rel, text };
}
