import { lstat, unlink } from 'node:fs/promises';
import * as z from 'zod';
import { fsFailure, pathRefused } from './fs-errors.js';
import { defineTool } from './types.js';
import { resolveInside } from './workspace.js';

const schema = z.object({
  path: z.string().describe('File path relative to the workspace root.'),
});

export const deleteFile = defineTool({
  name: 'delete_file',
  description: 'Delete one file from the workspace. Directories are not deleted.',
  schema,
  async run(args, ctx) {
    const resolved = await resolveInside(ctx.workspace, args.path);
    if (!resolved.ok) return pathRefused(resolved);
    const rel = resolved.relative;
    try {
      // lstat, not stat: a symlink is removed itself, never what it points at.
      if ((await lstat(resolved.absolute)).isDirectory()) {
        return {
          ok: false,
          code: 'IS_DIRECTORY',
          content: `${rel} is a directory; delete_file removes files only. Delete the files inside it one by one.`,
        };
      }
      await unlink(resolved.absolute);
    } catch (error) {
      return fsFailure(error, rel);
    }
    return { ok: true, content: `Deleted ${rel}.`, filesChanged: [rel] };
  },
});
