import { createWriteStream, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdirSync, chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createGzip, deflateRawSync } from 'node:zlib';
import * as tar from 'tar';
import yazl from 'yazl';

/**
 * Archives for the import tests: real ones made with `tar` and `yazl` from a real folder, and
 * hand-made bytes for the hostile entries that those writers refuse to make.
 */

/** Names a careless extractor gets wrong. */
export const ODD_NAMES = [
  'with space.txt',
  'ünïcødé-ğş.md',
  '-leading-dash',
  'new\nline.txt',
  // Past the 100 bytes of a ustar name: tar writes it in a pax header.
  `long-${'x'.repeat(150)}.txt`,
];

/**
 * A folder with odd names, an executable, a setuid and a group-writable file, an empty folder
 * and a symlink that stays inside.
 */
export function makeSampleFolder(dir: string): void {
  mkdirSync(path.join(dir, 'src', 'lib'), { recursive: true });
  mkdirSync(path.join(dir, 'empty'));
  writeFileSync(path.join(dir, 'README.md'), '# sample\n');
  writeFileSync(path.join(dir, 'src', 'lib', 'util.ts'), 'export const x = 1;\n');
  for (const name of ODD_NAMES) writeFileSync(path.join(dir, 'src', name), `content of ${name}`);
  writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(path.join(dir, 'run.sh'), 0o755);
  writeFileSync(path.join(dir, 'setuid.sh'), '#!/bin/sh\n');
  chmodSync(path.join(dir, 'setuid.sh'), 0o4775);
  writeFileSync(path.join(dir, 'shared.txt'), 'group writable\n');
  chmodSync(path.join(dir, 'shared.txt'), 0o666);
  symlinkSync('lib/util.ts', path.join(dir, 'src', 'util-link.ts'));
}

export async function tarGzOf(dir: string, file: string, gzip = true): Promise<void> {
  // noMtime: tar writes mtimes only for Dates of its own realm, which jest's VM fs Stats are not.
  await tar.create({ file, cwd: dir, gzip, portable: true, noMtime: true }, ['.']);
}

/** A zip of `dir` made with yazl: files with their modes, empty folders, symlinks as S_IFLNK. */
export async function zipOf(dir: string, file: string): Promise<void> {
  const zip = new yazl.ZipFile();
  const walk = (relative: string): void => {
    const names = readdirSync(path.join(dir, relative));
    if (names.length === 0 && relative !== '') zip.addEmptyDirectory(relative);
    for (const name of names) {
      const entry = relative === '' ? name : `${relative}/${name}`;
      const full = path.join(dir, entry);
      const stats = lstatSync(full);
      if (stats.isSymbolicLink()) {
        zip.addBuffer(Buffer.from(readlinkSync(full)), entry, { mode: stats.mode });
      } else if (stats.isDirectory()) {
        walk(entry);
      } else {
        zip.addBuffer(readFileSync(full), entry, { mode: stats.mode });
      }
    }
  };
  walk('');
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

export interface TarSpec {
  name: string;
  /** The type flag: '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' folder, '6' FIFO. */
  type?: string;
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
  /** The size the header states, when it should lie. */
  size?: number;
}

/** One ustar header block with a correct checksum; names are written as given, `..` and all. */
export function tarHeader(spec: TarSpec): Buffer {
  const block = Buffer.alloc(512);
  const content = Buffer.from(spec.content ?? '');
  const octal = (value: number, width: number, at: number): void => {
    block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, at, width, 'latin1');
  };
  if (Buffer.byteLength(spec.name) > 100)
    throw new Error(`a ustar name holds 100 bytes: ${spec.name}`);
  block.write(spec.name, 0, 100, 'utf8');
  octal(spec.mode ?? (spec.type === '5' ? 0o755 : 0o644), 8, 100);
  octal(0, 8, 108);
  octal(0, 8, 116);
  octal(spec.size ?? content.length, 12, 124);
  octal(0, 12, 136);
  block.write(spec.type ?? '0', 156, 1, 'latin1');
  block.write(spec.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

/** A tar of hand-made entries, with the end-of-archive marker unless `end` is false. */
export function rawTar(entries: TarSpec[], options: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = Buffer.from(entry.content ?? '');
    parts.push(tarHeader(entry), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function gzip(data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const zip = createGzip();
  zip.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    zip.on('end', () => resolve(Buffer.concat(chunks)));
    zip.on('error', reject);
    zip.end(data);
  });
}

async function* zeros(bytes: number): AsyncGenerator<Buffer> {
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = bytes; left > 0; left -= chunk.length) {
    yield left >= chunk.length ? chunk : chunk.subarray(0, left);
  }
}

/** A tar.gz holding one file of `bytes` zeros, written as a stream: never whole in memory. */
export async function writeGzipBomb(file: string, bytes: number): Promise<void> {
  async function* tarStream(): AsyncGenerator<Buffer> {
    yield tarHeader({ name: 'zeros.bin', size: bytes });
    yield* zeros(bytes);
    yield Buffer.alloc(((512 - (bytes % 512)) % 512) + 1024);
  }
  await pipeline(Readable.from(tarStream()), createGzip(), createWriteStream(file));
}

/** A zip holding one deflated file of `bytes` zeros, made by yazl from a stream. */
export async function writeZipBomb(file: string, bytes: number): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.addReadStream(Readable.from(zeros(bytes)), 'zeros.bin', { size: bytes });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

export interface ZipSpec {
  name: string | Buffer;
  content?: string | Buffer;
  /** Unix mode with its type bits (S_IFREG, S_IFLNK…); 0 for none. */
  mode?: number;
  /** 0 stored (default), 8 deflated, or any other number to claim. */
  method?: number;
  flags?: number;
  /** The uncompressed size the headers state, when it should lie. */
  size?: number;
  crc?: number;
}

/** A zip of hand-made entries: names and sizes written as given. */
export function rawZip(entries: ZipSpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const content = Buffer.from(entry.content ?? '');
    const method = entry.method ?? 0;
    const packed = method === 8 ? deflateRawSync(content) : content;
    // An encrypted entry's data starts with a 12-byte encryption header.
    const data = (entry.flags ?? 0) & 1 ? Buffer.concat([Buffer.alloc(12), packed]) : packed;
    const crc = entry.crc ?? crc32(content);
    const size = entry.size ?? content.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.flags ?? 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.flags ?? 0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
