import { errorMessage } from '../../errors.js';
import type { Observation } from './types.js';
import type { PathResolution } from './workspace.js';

const FS_REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  EISDIR: 'is a directory',
  ENOTDIR: 'has a parent that is not a directory',
  EACCES: 'is not accessible (permission denied)',
  EPERM: 'is not accessible (operation not permitted)',
  // The lexical limits pass it, but with the workspace's own folder in front it is too long.
  ENAMETOOLONG: 'is too long for the file system together with the workspace folder; shorten it',
};

/**
 * Turns a file-system error into an observation naming the workspace-relative path, so the model
 * never sees host paths and can correct itself.
 */
export function fsFailure(error: unknown, relative: string): Observation {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const reason = code === undefined ? undefined : FS_REASONS[code];
  return {
    ok: false,
    code: code === 'ENOENT' ? 'PATH_NOT_FOUND' : 'FS_ERROR',
    content:
      reason === undefined ? `${relative}: ${errorMessage(error)}` : `${relative} ${reason}.`,
  };
}

export function pathRefused(resolution: Extract<PathResolution, { ok: false }>): Observation {
  return { ok: false, code: resolution.code, content: `Refused: ${resolution.reason}` };
}
