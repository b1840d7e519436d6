import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { AtolyeError, errorMessage } from '../errors.js';
import { corrupt, refused, tooLarge, UNSUPPORTED_FIX } from './archive-errors.js';
import { checkRatio, type RawEntry, type ReadOptions, type VisitEntry } from './archive-policy.js';

/**
 * Reads a tar or tar.gz entry by entry with tar's Parser, which is fed by hand so that the
 * decompressed stream can be measured (and cut off) before the parser sees it, and so that
 * reading stops at the end-of-archive marker instead of decompressing whatever follows it.
 */

/** Header and padding bytes allowed per entry on top of `maxBytes` of content (pax long names included). */
const FRAMING_BYTES_PER_ENTRY = 4096;

export async function readTar(
  file: string,
  gzip: boolean,
  options: ReadOptions,
  visit: VisitEntry,
): Promise<void> {
  const format = gzip ? 'tar.gz' : 'tar';
  // brotli and zstd off: the stream is fed already decompressed, and must not be sniffed again.
  const parser = new Parser({ brotli: false, zstd: false });
  let failure: unknown;
  let sawEof = false;
  let current: ReadEntry | undefined;
  let signalFailure: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => (signalFailure = reject));
  failed.catch(() => undefined);
  const fail = (error: unknown): void => {
    if (failure !== undefined) return;
    failure = error;
    signalFailure(error);
    // A visit waiting for the rest of an entry that will never be fed gets its end now.
    current?.end();
  };

  let visits: Promise<void> = Promise.resolve();
  parser.on('entry', (entry: ReadEntry) => {
    visits = visits.then(async () => {
      if (failure !== undefined) {
        entry.resume();
        return;
      }
      current = entry;
      try {
        const raw = rawEntry(entry);
        await visit(raw, raw.kind === 'file' ? entry : undefined);
      } catch (error) {
        fail(error);
      } finally {
        current = undefined;
        entry.resume();
      }
    });
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    fail(
      entry.meta
        ? corrupt(format, `entry ${JSON.stringify(entry.path)} has a metadata header over 1 MiB`)
        : refused(entry.path, `is an entry of type ${entry.type}`, UNSUPPORTED_FIX),
    );
  });
  // Once the end-of-archive marker is seen, what the parser says about the rest does not matter.
  parser.on('warn', (_code: string, message: string | Error) => {
    if (!sawEof) fail(corrupt(format, errorMessage(message)));
  });
  parser.on('error', (error: unknown) => fail(corrupt(format, errorMessage(error), error)));
  parser.on('eof', () => (sawEof = true));

  const ceiling = options.limits.maxBytes + (options.limits.maxFiles + 1) * FRAMING_BYTES_PER_ENTRY;
  const source: Readable = gzip
    ? pipeline(createReadStream(file), createGunzip(), () => undefined)
    : createReadStream(file);
  let unpacked = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (failure !== undefined) break; // A visit failed while this chunk was being read.
      unpacked += chunk.length;
      if (unpacked > ceiling) {
        throw tooLarge(`the archive unpacks to more than ${options.limits.maxBytes} bytes`);
      }
      if (gzip) checkRatio(unpacked, options);
      if (!parser.write(chunk) && !sawEof && failure === undefined) {
        await Promise.race([once(parser, 'drain'), failed]);
      }
      if (failure !== undefined || sawEof) break;
    }
    if (!sawEof && failure === undefined) parser.end();
  } catch (error) {
    fail(error instanceof AtolyeError ? error : corrupt(format, errorMessage(error), error));
  } finally {
    source.destroy();
  }
  // Entries end up queued behind one another; wait until the last visit has settled.
  for (let settled: Promise<void> | undefined; settled !== visits;) {
    settled = visits;
    await settled;
  }
  if (failure !== undefined) throw failure;
  if (!sawEof) throw corrupt(format, 'it ends before its end-of-archive marker (truncated?)');
}

function rawEntry(entry: ReadEntry): RawEntry {
  const base = { name: entry.path, mode: entry.mode, size: 0 };
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      // ReadEntry has already turned OldFile and ContiguousFile into plain files' content.
      return { ...base, kind: 'file', size: entry.size };
    case 'Directory':
      return { ...base, kind: 'directory' };
    case 'SymbolicLink':
      return { ...base, kind: 'symlink', linkTarget: entry.linkpath ?? '' };
    case 'Link':
      return { ...base, kind: 'hardlink', linkTarget: entry.linkpath ?? '' };
    // Devices and FIFOs get to the policy, which refuses them with the others it does not take.
    case 'CharacterDevice':
      return { ...base, kind: { unsupported: 'a character device' } };
    case 'BlockDevice':
      return { ...base, kind: { unsupported: 'a block device' } };
    case 'FIFO':
      return { ...base, kind: { unsupported: 'a FIFO (named pipe)' } };
    default:
      return { ...base, kind: { unsupported: `an entry of type ${entry.type}` } };
  }
}
