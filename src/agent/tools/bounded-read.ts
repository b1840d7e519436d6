import { readFile, stat } from 'node:fs/promises';
import { fsFailure } from './fs-errors.js';
import type { Observation } from './types.js';

/**
 * Reads a workspace file no larger than `maxBytes`. Anything else comes back as the observation
 * the model reads: too large (ending with `hint`), or the file-system error.
 */
export async function readBounded(
  absolute: string,
  relative: string,
  maxBytes: number,
  hint: string,
): Promise<{ ok: true; bytes: Buffer } | Observation> {
  try {
    const { size } = await stat(absolute);
    if (size > maxBytes) {
      return {
        ok: false,
        code: 'FILE_TOO_LARGE',
        content: `${relative} is ${size} bytes, over the ${maxBytes}-byte ${hint}`,
      };
    }
    return { ok: true, bytes: await readFile(absolute) };
  } catch (error) {
    return fsFailure(error, relative);
  }
}
