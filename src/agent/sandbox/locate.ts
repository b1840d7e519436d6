import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { AtolyeError } from '../../errors.js';

/** The first executable `name` on `searchPath`, or undefined. */
export function findExecutable(
  name: string,
  searchPath = process.env.PATH ?? '',
): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The bwrap binary to use; fails closed, naming the package, when there is none. */
export function locateBwrap(explicit?: string): string {
  const found = explicit === undefined ? findExecutable('bwrap') : explicit;
  if (found !== undefined && isExecutable(found)) return found;
  throw new AtolyeError(
    'SANDBOX_UNAVAILABLE',
    `bubblewrap (bwrap) was not found${explicit ? ` at ${explicit}` : ' on PATH'}, so commands ` +
      'cannot run isolated. Install it (Debian/Ubuntu: apt-get install bubblewrap) or, in ' +
      'development and testing only, set sandbox.mode = "none" (ATOLYE_SANDBOX_MODE=none).',
  );
}
