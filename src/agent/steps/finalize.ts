import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunStatus, StepOutput } from '../graph/steps.js';
import { lastFinishSummary } from './stored-messages.js';
import type { StepArgs } from './types.js';

export interface ManifestEntry {
  path: string;
  bytes: number;
}

/** Most files listed in a summary; a workspace with node_modules would drown it otherwise. */
const MAX_MANIFEST_ENTRIES = 200;
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '__pycache__']);

const STATUS_TEXT: Record<RunStatus, string> = {
  running: 'The run stopped before it finished.',
  success: 'The task is done.',
  error: 'The run failed.',
  max_iterations: 'The run reached its iteration limit before the task was done.',
  stuck: 'The run stopped: the agent repeated the same call without progress.',
  budget_exceeded: 'The run stopped: its token or cost budget is spent.',
  cancelled: 'The run was cancelled.',
};

/** Deterministic: the agent's own summary or the status, and the workspace's files with sizes. */
export async function runFinalize(
  input: StepArgs<'finalize'>,
  deps: { workspace: string },
): Promise<StepOutput<'finalize'>> {
  const manifest = await workspaceManifest(deps.workspace);
  const onDisk = new Set(manifest.entries.map((entry) => entry.path));
  const lines = [lastFinishSummary(input.messages) ?? STATUS_TEXT[input.status]];
  if (input.error) lines.push(`Error ${input.error.code}: ${input.error.message}`);
  lines.push(
    manifest.entries.length === 0
      ? 'The workspace is empty.'
      : `Files in the workspace:\n${manifest.entries.map((e) => `- ${e.path} (${e.bytes} bytes)`).join('\n')}`,
  );
  if (manifest.truncated) lines.push(`(only the first ${MAX_MANIFEST_ENTRIES} files are listed)`);
  return {
    summary: lines.join('\n\n'),
    files: input.filesChanged.filter((file) => onDisk.has(file)),
  };
}

/** Regular files under `root` as POSIX relative paths, sorted; symlinks are not followed. */
export async function workspaceManifest(
  root: string,
): Promise<{ entries: ManifestEntry[]; truncated: boolean }> {
  const entries: ManifestEntry[] = [];
  let truncated = false;
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (entries.length >= MAX_MANIFEST_ENTRIES) {
        truncated = true;
        return;
      }
      const full = path.join(dir, name);
      const stat = await lstat(full);
      if (stat.isDirectory()) {
        if (!SKIPPED_DIRS.has(name)) await walk(full);
      } else if (stat.isFile()) {
        entries.push({
          path: path.relative(root, full).split(path.sep).join('/'),
          bytes: stat.size,
        });
      }
    }
  };
  await walk(root);
  return { entries, truncated };
}
