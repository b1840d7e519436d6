import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { AtolyeError, errorMessage } from '../errors.js';
import { corrupt, refused, tooLarge } from './archive-errors.js';
import {
  checkRatio,
  MAX_LINK_TARGET_BYTES,
  type RawEntry,
  type ReadOptions,
  type VisitEntry,
} from './archive-policy.js';

/**
 * Reads a zip with yauzl. The central directory is walked first and its sizes judged before a
 * byte is inflated: `validateEntrySizes` holds every entry's stream to the size declared there,
 * so the declared total is the most that can come out. yauzl's own name checks are off
 * (`decodeStrings: false`) so that the policy refuses a bad name with its own message, and the
 * content's CRC-32, which yauzl does not check, is checked here.
 */

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const SPECIAL_TYPES: Record<number, string> = {
  0o010000: 'a FIFO (named pipe)',
  0o020000: 'a character device',
  0o060000: 'a block device',
  0o140000: 'a socket',
};
/** The MS-DOS directory attribute, for zips made without Unix modes. */
const DOS_DIRECTORY = 0x10;
const STORED = 0;
const DEFLATED = 8;

export async function readZip(
  file: string,
  options: ReadOptions,
  visit: VisitEntry,
): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      validateEntrySizes: true,
      decodeStrings: false,
      strictFileNames: true,
      autoClose: false,
    });
  } catch (error) {
    throw corrupt('zip', errorMessage(error), error);
  }
  try {
    if (zip.entryCount > options.limits.maxFiles) {
      throw tooLarge(
        `the archive holds more than ${options.limits.maxFiles} entries (files, folders and links)`,
      );
    }
    const entries = await readOrRefuse(() => centralDirectory(zip, options));
    for (const entry of entries) {
      const raw = await readOrRefuse(() => rawEntry(zip, entry));
      // What the visit throws is its own (a write that failed): passed on as it is.
      await visit(raw, raw.kind === 'file' ? content(zip, entry, raw.name) : undefined);
    }
  } finally {
    zip.close();
  }
}

/** Anything yauzl throws while reading means the archive is damaged. */
async function readOrRefuse<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw error instanceof AtolyeError ? error : corrupt('zip', errorMessage(error), error);
  }
}

async function centralDirectory(zip: ZipFile, options: ReadOptions): Promise<Entry[]> {
  const entries: Entry[] = [];
  let declared = 0;
  for await (const entry of zip.eachEntry()) {
    entries.push(entry);
    declared += entry.uncompressedSize;
    if (declared > options.limits.maxBytes) {
      throw tooLarge(`the archive unpacks to more than ${options.limits.maxBytes} bytes`);
    }
    checkRatio(declared, options);
  }
  return entries;
}

async function rawEntry(zip: ZipFile, entry: Entry): Promise<RawEntry> {
  const name = yauzl.getFileNameLowLevel(
    entry.generalPurposeBitFlag,
    entry.fileNameRaw,
    entry.extraFields,
    true,
  );
  const unixMode = entry.externalFileAttributes >>> 16;
  const type = unixMode & S_IFMT;
  const base = { name, mode: unixMode === 0 ? undefined : unixMode & 0o7777, size: 0 };
  const special = SPECIAL_TYPES[type];
  if (special !== undefined) return { ...base, kind: { unsupported: special } };
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR && type !== S_IFLNK) {
    return { ...base, kind: { unsupported: `an entry of Unix type 0o${type.toString(8)}` } };
  }
  if (
    type === S_IFDIR ||
    ((type === 0 || type === S_IFREG) && name.endsWith('/')) ||
    (type === 0 && (entry.externalFileAttributes & DOS_DIRECTORY) !== 0)
  ) {
    return { ...base, kind: 'directory' };
  }
  checkReadable(entry, name);
  if (type === S_IFLNK) {
    if (entry.uncompressedSize > MAX_LINK_TARGET_BYTES) {
      throw refused(name, 'is a symlink with a target too long to be one', 'leave it out');
    }
    const chunks: Buffer[] = [];
    for await (const chunk of content(zip, entry, name)) chunks.push(chunk);
    return { ...base, kind: 'symlink', linkTarget: Buffer.concat(chunks).toString('utf8') };
  }
  return { ...base, kind: 'file', size: entry.uncompressedSize };
}

function checkReadable(entry: Entry, name: string): void {
  if (entry.isEncrypted()) {
    throw refused(name, 'is encrypted', 'pack the folder again without a password');
  }
  if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
    throw refused(
      name,
      `uses compression method ${entry.compressionMethod}, which is not supported`,
      'pack the folder again with standard (deflate) compression',
    );
  }
}

/** The entry's bytes, checked against the CRC-32 the archive stores once they have all come. */
async function* content(zip: ZipFile, entry: Entry, name: string): AsyncGenerator<Buffer> {
  let crc = 0;
  const stream = await readOrRefuse(() => zip.openReadStreamPromise(entry));
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      const next = await readOrRefuse(() => chunks.next());
      if (next.done === true) break;
      crc = crc32(next.value, crc);
      yield next.value;
    }
  } finally {
    stream.destroy(); // Also when the reader stopped early.
  }
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw corrupt('zip', `entry ${JSON.stringify(name)} is damaged (its CRC-32 does not match)`);
  }
}
