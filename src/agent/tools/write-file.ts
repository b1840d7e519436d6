import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { fsFailure, pathRefused } from './fs-errors.js';
import { defineTool } from './types.js';
import { resolveInside } from './workspace.js';

const schema = z.object({
  path: z.string().describe('File path relative to the workspace root.'),
  content: z.string().describe('The complete new content of the file.'),
});

export const writeFileTool = defineTool({
  name: 'write_file',
  description:
    'Create a file or replace its whole content. Parent directories are created. For a small ' +
    'change to an existing file prefer edit_file.',
  schema,
  async run(args, ctx) {
    const resolved = await resolveInside(ctx.workspace, args.path);
    if (!resolved.ok) return pathRefused(resolved);
    try {
      await mkdir(path.dirname(resolved.absolute), { recursive: true });
      await writeFile(resolved.absolute, args.content, 'utf8');
    } catch (error) {
      return fsFailure(error, resolved.relative);
    }
    const bytes = Buffer.byteLength(args.content, 'utf8');
    return {
      ok: true,
      content: `Wrote ${bytes} bytes to ${resolved.relative}.`,
      filesChanged: [resolved.relative],
    };
  },
});
