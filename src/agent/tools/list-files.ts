import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { fsFailure, pathRefused } from './fs-errors.js';
import { defineTool } from './types.js';
import { resolveInside } from './workspace.js';

/** Directories that are large and never the point of a task; named in the listing, not expanded. */
export const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

const schema = z.object({
  path: z
    .string()
    .default('.')
    .describe('Directory relative to the workspace root; "." for the root.'),
  depth: z
    .number()
    .int()
    .min(1)
    .max(20)
    .optional()
    .describe('How many directory levels to descend (1 = only this directory).'),
});

interface Walk {
  lines: string[];
  maxEntries: number;
  truncated: boolean;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function walk(dir: string, prefix: string, depthLeft: number, state: Walk): Promise<void> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (state.lines.length >= state.maxEntries) {
      state.truncated = true;
      return;
    }
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (SKIPPED_DIRECTORIES.has(entry.name)) {
        state.lines.push(`${rel}/ (skipped)`);
      } else if (depthLeft <= 1) {
        state.lines.push(`${rel}/ (not expanded)`);
      } else {
        state.lines.push(`${rel}/`);
        await walk(full, rel, depthLeft - 1, state);
      }
    } else if (entry.isSymbolicLink()) {
      state.lines.push(`${rel} (symlink)`); // Never followed: it may lead outside the workspace.
    } else {
      const { size } = await lstat(full);
      state.lines.push(`${rel} (${formatSize(size)})`);
    }
  }
}

export const listFiles = defineTool({
  name: 'list_files',
  description:
    'List files and directories under a workspace directory, recursively, with file sizes. ' +
    'Directories end in "/". .git and node_modules are not expanded. Use it to find your way ' +
    'around before reading or editing.',
  schema,
  async run(args, ctx) {
    const resolved = await resolveInside(ctx.workspace, args.path);
    if (!resolved.ok) return pathRefused(resolved);
    const depth = Math.min(args.depth ?? ctx.limits.maxListDepth, ctx.limits.maxListDepth);
    const state: Walk = { lines: [], maxEntries: ctx.limits.maxListEntries, truncated: false };
    try {
      const stats = await lstat(resolved.absolute);
      if (!stats.isDirectory()) {
        return {
          ok: false,
          code: 'NOT_A_DIRECTORY',
          content: `${resolved.relative} is not a directory; use read_file.`,
        };
      }
      const prefix = resolved.relative === '.' ? '' : resolved.relative;
      await walk(resolved.absolute, prefix, depth, state);
    } catch (error) {
      return fsFailure(error, resolved.relative);
    }
    const header = `${resolved.relative === '.' ? 'Workspace root' : `${resolved.relative}/`}: ${state.lines.length} entries`;
    const body = state.lines.length === 0 ? '(empty directory)' : state.lines.join('\n');
    const note = state.truncated
      ? `\n…listing stopped at ${state.maxEntries} entries; list a subdirectory or lower depth to see more.`
      : '';
    return { ok: true, content: `${header}\n${body}${note}` };
  },
});
