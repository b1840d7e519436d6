import { createHash } from 'node:crypto';

/**
 * Git's id of a blob: the hash of `blob <size>\0` and the bytes. Comparing it with a patch's
 * `index <old>..<new>` ids tells, without git and without the repository, whether a file is exactly
 * the version a change was made from (or already the version it makes).
 */

/** A full id in the length of `like`: 40 hex digits for SHA-1 repositories, 64 for SHA-256 ones. */
export function gitBlobId(bytes: Uint8Array, like = ''): string {
  const hash = createHash(like.length === 64 ? 'sha256' : 'sha1');
  hash.update(`blob ${bytes.byteLength}\0`);
  hash.update(bytes);
  return hash.digest('hex');
}

/** The all-zero id git writes for "no file" on the side of an added or deleted file. */
export function isNoBlob(id: string): boolean {
  return /^0+$/.test(id);
}
