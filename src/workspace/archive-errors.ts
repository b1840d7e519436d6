import { AtolyeError } from '../errors.js';

/**
 * The errors of an archive import, worded in one place. Every message says that nothing was
 * imported and how to make an archive that imports. Codes: IMPORT_REFUSED (an entry or an
 * archive that may not be imported), IMPORT_TOO_LARGE (a limit; the route's 413),
 * WORKSPACE_NOT_EMPTY, IMPORT_FAILED (writing failed).
 */

export const UNSUPPORTED_FIX = 'leave devices, FIFOs and other special files out of the archive';
const TAR_COMMAND = 'tar czf folder.tar.gz -C folder .';
export const REMAKE = `pack the folder from inside it, with relative paths (${TAR_COMMAND})`;
export const SYMLINK_FIX =
  'replace the link with what it points to, or leave it out of the archive';
export const HARDLINK_FIX =
  'pack without hard links (tar --hard-dereference) or leave the link out of the archive';
const SIZE_FIX =
  'leave build output and dependencies (node_modules, dist, .venv) out of the archive, or ask for a higher limit';

/** IMPORT_REFUSED naming the entry: what is wrong with it and how to make an archive that imports. */
export function refused(name: string, reason: string, fix: string): AtolyeError {
  return new AtolyeError(
    'IMPORT_REFUSED',
    `archive entry ${JSON.stringify(name)} ${reason}; nothing was imported: ${fix}`,
  );
}

/** IMPORT_REFUSED for an archive that cannot be read to its end. */
export function corrupt(format: string, detail: string, cause?: unknown): AtolyeError {
  return new AtolyeError(
    'IMPORT_REFUSED',
    `not a valid ${format}: ${detail}; nothing was imported: upload the archive again, or re-create it`,
    cause === undefined ? {} : { cause },
  );
}

/** IMPORT_TOO_LARGE (the route's 413): too many entries, too many bytes, or a bomb's ratio. */
export function tooLarge(what: string): AtolyeError {
  return new AtolyeError('IMPORT_TOO_LARGE', `${what}; nothing was imported: ${SIZE_FIX}`);
}

/** IMPORT_REFUSED for a file that is none of the formats taken (`start`: its first bytes). */
export function unknownFormat(start: Buffer): AtolyeError {
  const shown = [...start].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return new AtolyeError(
    'IMPORT_REFUSED',
    `${start.length === 0 ? 'the archive is empty' : `the upload is not a .tar.gz, .tar or .zip archive (it starts with ${shown})`}; nothing was imported: pack the folder as .tar.gz (${TAR_COMMAND}) or .zip`,
  );
}

export function notEmpty(): AtolyeError {
  return new AtolyeError(
    'WORKSPACE_NOT_EMPTY',
    'the import destination is not an empty folder; nothing was imported: import into a new, empty workspace',
  );
}

export function importFailed(error: unknown): AtolyeError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  // The code, not the message: fs messages name host paths, and this may reach an API client.
  return new AtolyeError(
    'IMPORT_FAILED',
    `unpacking the archive failed (${code ?? 'error'}); nothing was imported`,
    { cause: error, retryable: code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN' },
  );
}
