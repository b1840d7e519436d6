import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { AtolyeError } from '../../../src/errors.js';
import { extractArchive, type ArchiveLimits } from '../../../src/workspace/archive.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  gzip,
  makeSampleFolder,
  ODD_NAMES,
  rawTar,
  rawZip,
  tarGzOf,
  writeGzipBomb,
  writeZipBomb,
  zipOf,
  type TarSpec,
  type ZipSpec,
} from './archive-fixtures.js';

// Real archives (tar, yazl) and hand-made hostile ones, unpacked into real folders: what lands on
// disk, and that a refused archive leaves nothing behind, not even the staging folder.

const MiB = 1024 * 1024;
const LIMITS: ArchiveLimits = { maxFiles: 1000, maxBytes: 10 * MiB, maxRatio: 100 };
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;

let root: ReturnType<typeof tempDir>;
let sample: string;
let archives: string;
let parent: string;
let destination: string;
let counter = 0;

beforeAll(() => {
  root = tempDir('atolye-archive-');
  sample = path.join(root.dir, 'sample');
  archives = path.join(root.dir, 'archives');
  mkdirSync(sample);
  mkdirSync(archives);
  makeSampleFolder(sample);
});

afterAll(() => root?.cleanup());

beforeEach(() => {
  counter += 1;
  parent = path.join(root.dir, `workspaces-${counter}`);
  mkdirSync(parent);
  destination = path.join(parent, 'thread');
});

function archive(name: string, bytes: Buffer): string {
  const file = path.join(archives, `${counter}-${name}`);
  writeFileSync(file, bytes);
  return file;
}

async function tarGz(entries: TarSpec[]): Promise<string> {
  return archive('hostile.tar.gz', await gzip(rawTar(entries)));
}

/** Extracts expecting a refusal; asserts that nothing at all was written beside the destination. */
async function refusal(file: string, limits: ArchiveLimits = LIMITS): Promise<AtolyeError> {
  const outcome = await extractArchive(file, destination, limits).then(
    (result) => result,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(AtolyeError);
  expect(existsSync(destination)).toBe(false);
  expect(readdirSync(parent)).toEqual([]);
  return outcome as AtolyeError;
}

function expectSample(dir: string): void {
  expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe('# sample\n');
  expect(readFileSync(path.join(dir, 'src', 'lib', 'util.ts'), 'utf8')).toBe(
    'export const x = 1;\n',
  );
  for (const name of ODD_NAMES) {
    expect(readFileSync(path.join(dir, 'src', name), 'utf8')).toBe(`content of ${name}`);
  }
  expect(readdirSync(path.join(dir, 'src')).sort()).toEqual(
    [...ODD_NAMES, 'lib', 'util-link.ts'].sort(),
  );
  expect(readdirSync(path.join(dir, 'empty'))).toEqual([]);
  expect(statSync(path.join(dir, 'empty')).isDirectory()).toBe(true);
  expect(readlinkSync(path.join(dir, 'src', 'util-link.ts'))).toBe('lib/util.ts');
  expect(readFileSync(path.join(dir, 'src', 'util-link.ts'), 'utf8')).toBe('export const x = 1;\n');
  // The executable bit kept; setuid and group/other write dropped.
  expect(statSync(path.join(dir, 'run.sh')).mode & 0o7777).toBe(0o755);
  expect(statSync(path.join(dir, 'setuid.sh')).mode & 0o7777).toBe(0o755);
  expect(statSync(path.join(dir, 'shared.txt')).mode & 0o7777).toBe(0o644);
}

function sampleBytes(): number {
  const names = ['README.md', 'src/lib/util.ts', 'run.sh', 'setuid.sh', 'shared.txt'];
  const all = [...names, ...ODD_NAMES.map((name) => `src/${name}`)];
  return all.reduce((sum, name) => sum + statSync(path.join(sample, name)).size, 0);
}

describe('a normal folder comes out as it went in', () => {
  test.each([
    ['tar.gz', 'sample.tar.gz'],
    ['tar', 'sample.tar'],
  ] as const)('%s made by tar', async (format, name) => {
    const file = path.join(archives, `${counter}-${name}`);
    await tarGzOf(sample, file, format === 'tar.gz');

    const result = await extractArchive(file, destination, LIMITS);

    expectSample(destination);
    expect(result).toEqual({
      files: 10,
      directories: 3,
      symlinks: 1,
      bytes: sampleBytes(),
      format,
    });
    expect(readdirSync(parent)).toEqual(['thread']);
  });

  test('zip made by yazl', async () => {
    const file = path.join(archives, `${counter}-sample.zip`);
    await zipOf(sample, file);

    const result = await extractArchive(file, destination, LIMITS);

    expectSample(destination);
    expect(result).toEqual({
      files: 10,
      directories: 3,
      symlinks: 1,
      bytes: sampleBytes(),
      format: 'zip',
    });
  });

  test('into an empty folder that exists, keeping its mode', async () => {
    mkdirSync(destination, { mode: 0o750 });
    const file = archive('one.tar.gz', await gzip(rawTar([{ name: 'a.txt', content: 'a' }])));

    await extractArchive(file, destination, LIMITS);

    expect(readFileSync(path.join(destination, 'a.txt'), 'utf8')).toBe('a');
    expect(statSync(destination).mode & 0o777).toBe(0o750);
  });

  test('a later entry for the same file replaces the earlier; a hard link inside shares the file', async () => {
    const file = await tarGz([
      { name: 'a.txt', content: 'first' },
      { name: 'same.txt', type: '1', linkname: 'a.txt' },
      { name: 'a.txt', content: 'second' },
      { name: 'deep/er/file', content: 'implied folders' },
    ]);

    const result = await extractArchive(file, destination, LIMITS);

    expect(readFileSync(path.join(destination, 'a.txt'), 'utf8')).toBe('second');
    // The link was made to the first a.txt, and writing the second did not go through it.
    expect(readFileSync(path.join(destination, 'same.txt'), 'utf8')).toBe('first');
    expect(readFileSync(path.join(destination, 'deep/er/file'), 'utf8')).toBe('implied folders');
    expect(result).toMatchObject({ files: 3, directories: 2, symlinks: 0 });
  });

  test('a hard link to an earlier file is the same file on disk', async () => {
    const file = await tarGz([
      { name: 'a.txt', content: 'shared' },
      { name: 'b.txt', type: '1', linkname: './a.txt' },
    ]);

    await extractArchive(file, destination, LIMITS);

    const a = lstatSync(path.join(destination, 'a.txt'));
    expect(lstatSync(path.join(destination, 'b.txt')).ino).toBe(a.ino);
  });

  test('symlinks that stay inside, through other links included, are kept', async () => {
    const file = await tarGz([
      { name: 'lib/v2/index.js', content: 'x' },
      { name: 'current', type: '2', linkname: 'lib/v2' },
      { name: 'entry.js', type: '2', linkname: 'current/index.js' },
      { name: 'lib/v2/up', type: '2', linkname: '../..' },
    ]);

    const result = await extractArchive(file, destination, LIMITS);

    expect(readFileSync(path.join(destination, 'entry.js'), 'utf8')).toBe('x');
    expect(readlinkSync(path.join(destination, 'lib/v2/up'))).toBe('../..');
    expect(result.symlinks).toBe(3);
  });

  test.each([
    ['tar.gz', async () => gzip(rawTar([]))],
    ['zip', async () => rawZip([])],
  ])('an empty %s gives an empty workspace', async (_format, make) => {
    const file = archive('empty', await make());

    const result = await extractArchive(file, destination, LIMITS);

    expect(readdirSync(destination)).toEqual([]);
    expect(result).toMatchObject({ files: 0, directories: 0, symlinks: 0, bytes: 0 });
  });

  test('a compression ratio above the limit is not judged below 1 MiB unpacked', async () => {
    const file = await tarGz([{ name: 'zeros', content: Buffer.alloc(900 * 1024) }]);
    expect(statSync(file).size * LIMITS.maxRatio).toBeLessThan(900 * 1024);

    const result = await extractArchive(file, destination, LIMITS);

    expect(result.bytes).toBe(900 * 1024);
  });
});

const OK: TarSpec = { name: 'ok.txt', content: 'fine' };

describe('hostile tar entries are refused and nothing is written', () => {
  test.each<[string, TarSpec[], string, string]>([
    ['a "../" path', [{ name: '../evil.txt', content: 'x' }], '../evil.txt', 'contains ".."'],
    ['".." further in', [{ name: 'a/../../evil', content: 'x' }], 'a/../../evil', '".."'],
    ['an absolute path', [{ name: '/etc/evil', content: 'x' }], '/etc/evil', 'absolute path'],
    ['a Windows drive', [{ name: 'C:/evil', content: 'x' }], 'C:/evil', 'Windows drive'],
    ['a backslash', [{ name: '..\\evil', content: 'x' }], '..\\evil', 'backslash'],
    [
      'a path through a symlink of the archive',
      [
        { name: 'sub/', type: '5' },
        { name: 'link', type: '2', linkname: 'sub' },
        { name: 'link/x', content: 'x' },
      ],
      'link/x',
      'goes through "link", a symlink in the same archive',
    ],
    [
      'a symlink over entries already under it',
      [
        { name: 'dir/x', content: 'x' },
        { name: 'dir', type: '2', linkname: '.' },
      ],
      'dir',
      'is a symlink, but the archive also has it as a folder',
    ],
    [
      'a symlink to an absolute path',
      [{ name: 'etc', type: '2', linkname: '/etc' }],
      'etc',
      'target "/etc" is absolute',
    ],
    [
      'a symlink leading outside',
      [{ name: 'a/up', type: '2', linkname: '../../outside' }],
      'a/up',
      'leads outside the workspace',
    ],
    [
      'a symlink leading outside through an earlier link',
      [
        { name: 's', type: '2', linkname: '.' },
        { name: 't', type: '2', linkname: 's/..' },
      ],
      't',
      'leads outside the workspace',
    ],
    [
      'a symlink leading outside through a later link',
      [
        { name: 't', type: '2', linkname: 's/..' },
        { name: 's', type: '2', linkname: '.' },
      ],
      't',
      'leads outside the workspace',
    ],
    [
      'a hard link outside',
      [{ name: 'h', type: '1', linkname: '../etc/passwd' }],
      'h',
      'is a hard link to "../etc/passwd", outside',
    ],
    [
      'a hard link to an absolute path',
      [{ name: 'h', type: '1', linkname: '/etc/passwd' }],
      'h',
      'outside',
    ],
    [
      'a hard link to something not in the archive',
      [{ name: 'h', type: '1', linkname: 'missing.txt' }],
      'h',
      'not a file earlier in the archive',
    ],
    [
      'a hard link to a folder',
      [
        { name: 'd/', type: '5' },
        { name: 'h', type: '1', linkname: 'd' },
      ],
      'h',
      'not a file earlier in the archive',
    ],
    ['a character device', [{ name: 'tty', type: '3' }], 'tty', 'is a character device'],
    ['a block device', [{ name: 'sda', type: '4' }], 'sda', 'is a block device'],
    ['a FIFO', [{ name: 'pipe', type: '6' }], 'pipe', 'is a FIFO'],
    [
      'an unknown type',
      [{ name: 'volume', type: 'V' }],
      'volume',
      'is an entry of type TapeVolumeHeader',
    ],
    ['a GNU dump folder', [{ name: 'dump', type: 'D' }], 'dump', 'is an entry of type GNUDumpDir'],
    [
      'a file named as the workspace folder',
      [{ name: '.', content: 'x' }],
      '.',
      'names the workspace folder itself but is not a folder',
    ],
    [
      'a loop of symlinks',
      [
        { name: 'a', type: '2', linkname: 'b' },
        { name: 'b', type: '2', linkname: 'a' },
      ],
      'a',
      'through too many other links to check',
    ],
    [
      'a file over a folder',
      [
        { name: 'a/', type: '5' },
        { name: 'a', content: 'x' },
      ],
      'a',
      'is a file, but the archive also has it as a folder',
    ],
    [
      'a folder over a file',
      [
        { name: 'a', content: 'x' },
        { name: 'a/', type: '5' },
      ],
      'a/',
      'is a folder, but the archive also has it as a file',
    ],
    [
      'an entry inside a file',
      [
        { name: 'a', content: 'x' },
        { name: 'a/b', content: 'y' },
      ],
      'a/b',
      'is inside "a", which the archive also has as a file',
    ],
  ])('%s', async (_case, entries, name, reason) => {
    const error = await refusal(await tarGz([OK, ...entries]));

    expect(error.code).toBe('IMPORT_REFUSED');
    expect(error.message).toContain(`archive entry ${JSON.stringify(name)} `);
    expect(error.message).toContain(reason);
    expect(error.message).toContain('nothing was imported: ');
  });
});

describe('hostile zip entries are refused and nothing is written', () => {
  const okZip: ZipSpec = { name: 'ok.txt', content: 'fine' };

  test.each<[string, ZipSpec[], string, string]>([
    ['a "../" path', [{ name: '../evil.txt', content: 'x' }], '../evil.txt', 'contains ".."'],
    ['an absolute path', [{ name: '/tmp/evil', content: 'x' }], '/tmp/evil', 'absolute path'],
    ['a backslash path', [{ name: '..\\evil', content: 'x' }], '..\\evil', 'backslash'],
    ['a Windows drive', [{ name: 'C:\\evil', content: 'x' }], 'C:\\evil', 'backslash'],
    ['a NUL byte', [{ name: 'a\0b', content: 'x' }], 'a\0b', 'NUL byte'],
    [
      'a symlink leading outside',
      [{ name: 'up', content: '../outside', mode: S_IFLNK | 0o777 }],
      'up',
      'leads outside the workspace',
    ],
    [
      'a symlink to an absolute path',
      [{ name: 'root', content: '/', mode: S_IFLNK | 0o777 }],
      'root',
      'is absolute',
    ],
    [
      'a path through a symlink of the archive',
      [
        { name: 'link', content: '.', mode: S_IFLNK | 0o777 },
        { name: 'link/x', content: 'x' },
      ],
      'link/x',
      'a symlink in the same archive',
    ],
    ['a character device', [{ name: 'tty', mode: 0o020644 }], 'tty', 'is a character device'],
    ['a FIFO', [{ name: 'pipe', mode: 0o010644 }], 'pipe', 'is a FIFO'],
    ['a socket', [{ name: 'sock', mode: 0o140644 }], 'sock', 'is a socket'],
    ['an unknown Unix type', [{ name: 'odd', mode: 0o030644 }], 'odd', 'Unix type 0o30000'],
    [
      'a symlink too long to be one',
      [{ name: 'long', content: 'a/'.repeat(2500), mode: S_IFLNK | 0o777 }],
      'long',
      'a target too long',
    ],
    [
      'a name longer than 255 bytes',
      [{ name: `${'n'.repeat(256)}`, content: 'x' }],
      'n'.repeat(256),
      'has a name longer than 255 bytes',
    ],
    [
      'a path longer than 3072 bytes',
      [{ name: `${'d'.repeat(200)}/`.repeat(16) + 'f', content: 'x' }],
      `${'d'.repeat(200)}/`.repeat(16) + 'f',
      'is longer than 3072 bytes',
    ],
    ['an encrypted entry', [{ name: 'secret', content: 'x', flags: 1 }], 'secret', 'encrypted'],
    [
      'an unsupported compression method',
      [{ name: 'bz', content: 'x', method: 12 }],
      'bz',
      'compression method 12',
    ],
  ])('%s', async (_case, entries, name, reason) => {
    const error = await refusal(archive('hostile.zip', rawZip([okZip, ...entries])));

    expect(error.code).toBe('IMPORT_REFUSED');
    expect(error.message).toContain(`archive entry ${JSON.stringify(name)} `);
    expect(error.message).toContain(reason);
  });

  test('an entry holding more than its stated size is refused as damaged', async () => {
    const lying = { name: 'zeros', content: Buffer.alloc(2 * MiB), method: 8, size: 10 };
    const error = await refusal(archive('lying.zip', rawZip([okZip, lying])));

    expect(error.code).toBe('IMPORT_REFUSED');
    expect(error.message).toMatch(/^not a valid zip: too many bytes in the stream/);
  });

  test('an entry whose CRC-32 does not match is refused as damaged', async () => {
    const error = await refusal(archive('crc.zip', rawZip([{ ...okZip, crc: 12345 }])));

    expect(error.message).toContain('not a valid zip: entry "ok.txt" is damaged');
  });
});

describe('limits', () => {
  const manyFiles = (count: number): TarSpec[] =>
    Array.from({ length: count }, (_, i) => ({ name: `f${i}.txt`, content: 'x' }));

  test('more entries than maxFiles: IMPORT_TOO_LARGE (tar and zip)', async () => {
    const limits = { ...LIMITS, maxFiles: 10 };
    const tarError = await refusal(await tarGz(manyFiles(11)), limits);
    const zipError = await refusal(archive('many.zip', rawZip(manyFiles(11))), limits);

    for (const error of [tarError, zipError]) {
      expect(error.code).toBe('IMPORT_TOO_LARGE');
      expect(error.message).toContain('more than 10 entries');
      expect(error.message).toContain('leave build output and dependencies');
    }
  });

  test('exactly maxFiles entries are fine', async () => {
    const result = await extractArchive(await tarGz(manyFiles(10)), destination, {
      ...LIMITS,
      maxFiles: 10,
    });

    expect(result.files).toBe(10);
  });

  test('more content than maxBytes: IMPORT_TOO_LARGE (tar and zip)', async () => {
    const limits = { ...LIMITS, maxBytes: 2048 };
    const files = [1, 2, 3].map((i) => ({ name: `f${i}`, content: Buffer.alloc(1000, i) }));
    const tarError = await refusal(await tarGz(files), limits);
    const zipError = await refusal(archive('big.zip', rawZip(files)), limits);

    for (const error of [tarError, zipError]) {
      expect(error.code).toBe('IMPORT_TOO_LARGE');
      expect(error.message).toContain('unpacks to more than 2048 bytes');
    }
  });

  test('a tar stream far past its content (metadata headers) is cut off: IMPORT_TOO_LARGE', async () => {
    const limits = { maxFiles: 1, maxBytes: 100, maxRatio: 100 };
    const padding = Array.from({ length: 10 }, () => ({
      name: 'PaxHeader',
      type: 'x',
      content: 'x'.repeat(1000),
    }));
    const error = await refusal(archive('padded.tar', rawTar([...padding, OK])), limits);

    expect(error.code).toBe('IMPORT_TOO_LARGE');
    expect(error.message).toContain('unpacks to more than 100 bytes');
  });

  describe('bombs', () => {
    let gzipBomb: string;
    let zipBomb: string;

    beforeAll(async () => {
      gzipBomb = path.join(archives, 'bomb.tar.gz');
      zipBomb = path.join(archives, 'bomb.zip');
      await writeGzipBomb(gzipBomb, 200 * MiB);
      await writeZipBomb(zipBomb, 200 * MiB);
    }, 60_000);

    test('a tar.gz of 200 MiB of zeros is refused by its ratio, under a size limit it fits', async () => {
      expect(statSync(gzipBomb).size).toBeLessThan(1 * MiB);

      const error = await refusal(gzipBomb, { ...LIMITS, maxBytes: 1024 * MiB });

      expect(error.code).toBe('IMPORT_TOO_LARGE');
      expect(error.message).toContain('more than 100 times its own size');
    });

    test('a tar.gz of 200 MiB of zeros is refused by maxBytes from its header', async () => {
      const started = Date.now();

      const error = await refusal(gzipBomb, { ...LIMITS, maxBytes: 100 * MiB, maxRatio: 10_000 });

      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error.message).toContain(`unpacks to more than ${100 * MiB} bytes`);
    });

    test('a zip of 200 MiB of zeros is refused from its central directory', async () => {
      const started = Date.now();

      const error = await refusal(zipBomb, { ...LIMITS, maxBytes: 1024 * MiB });

      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error.code).toBe('IMPORT_TOO_LARGE');
      expect(error.message).toContain('more than 100 times its own size');
    });
  });
});

describe('damaged and unknown archives', () => {
  test('a truncated tar.gz', async () => {
    const whole = path.join(archives, `${counter}-whole.tar.gz`);
    await tarGzOf(sample, whole);
    truncateSync(whole, Math.floor(statSync(whole).size / 2));

    const error = await refusal(whole);

    expect(error.code).toBe('IMPORT_REFUSED');
    expect(error.message).toMatch(/^not a valid tar\.gz: .*unexpected end of file/);
    expect(error.message).toContain('upload the archive again');
  });

  test('a tar cut off inside an entry', async () => {
    const tar = rawTar([OK, { name: 'big', content: Buffer.alloc(4096, 1) }]);
    const error = await refusal(archive('cut.tar', tar.subarray(0, 2048)));

    expect(error.message).toMatch(/^not a valid tar: .*Truncated input/);
  });

  test('a tar without its end-of-archive marker', async () => {
    const error = await refusal(archive('no-end.tar', rawTar([OK], { end: false })));

    expect(error.message).toContain('not a valid tar: it ends before its end-of-archive marker');
  });

  test('a tar header with a bad checksum', async () => {
    const tar = rawTar([OK, { name: 'second.txt', content: 'x' }]);
    tar.writeUInt8(tar.readUInt8(1024 + 10) ^ 0xff, 1024 + 10); // Inside the second header's name.

    const error = await refusal(archive('bad-sum.tar.gz', await gzip(tar)));

    expect(error.message).toMatch(/^not a valid tar\.gz: .*checksum/);
  });

  test('a truncated zip', async () => {
    const zip = rawZip([OK, { name: 'b.txt', content: 'b' }]);
    const error = await refusal(archive('cut.zip', zip.subarray(0, zip.length - 10)));

    expect(error.code).toBe('IMPORT_REFUSED');
    expect(error.message).toMatch(/^not a valid zip: /);
  });

  test('an unknown format names the accepted ones', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const error = await refusal(archive('picture.png', png));

    expect(error.code).toBe('IMPORT_REFUSED');
    expect(error.message).toContain(
      'not a .tar.gz, .tar or .zip archive (it starts with 89 50 4e 47',
    );
    expect(error.message).toContain('tar czf');
  });

  test('an empty file', async () => {
    const error = await refusal(archive('empty', Buffer.alloc(0)));

    expect(error.message).toContain('the archive is empty');
  });
});

test('a destination with something in it is refused and left as it was', async () => {
  mkdirSync(destination);
  writeFileSync(path.join(destination, 'mine.txt'), 'keep me');
  const file = await tarGz([OK]);

  const error = await extractArchive(file, destination, LIMITS).catch((e: unknown) => e);

  expect(error).toMatchObject({ code: 'WORKSPACE_NOT_EMPTY' });
  expect(readdirSync(destination)).toEqual(['mine.txt']);
  expect(readdirSync(parent)).toEqual(['thread']);
});

test('a destination that cannot be made: IMPORT_FAILED with the code, not the host path', async () => {
  writeFileSync(path.join(parent, 'a-file'), '');
  const file = await tarGz([OK]);

  const error = await extractArchive(file, path.join(parent, 'a-file', 'thread'), LIMITS).catch(
    (e: unknown) => e,
  );

  expect(error).toMatchObject({ code: 'IMPORT_FAILED', retryable: false });
  expect((error as Error).message).toBe(
    'unpacking the archive failed (ENOTDIR); nothing was imported',
  );
  expect(readdirSync(parent)).toEqual(['a-file']);
});

test('a write failing in the second pass leaves no staging folder behind', async () => {
  // A path within the archive's limit that is too long under this deep a parent: only writing
  // it can find out (ENAMETOOLONG), after ok.txt is already in the staging folder.
  const deepParent = path.join(parent, ...Array.from({ length: 5 }, () => 'p'.repeat(220)));
  mkdirSync(deepParent, { recursive: true });
  const long = `${'d'.repeat(200)}/`.repeat(15) + 'f';
  const file = archive('deep.zip', rawZip([OK, { name: long, content: 'x' }]));

  const error = await extractArchive(file, path.join(deepParent, 'thread'), LIMITS).catch(
    (e: unknown) => e,
  );

  expect(error).toMatchObject({ code: 'IMPORT_FAILED' });
  expect((error as Error).message).toContain('(ENAMETOOLONG)');
  expect(readdirSync(deepParent)).toEqual([]);
});

test('zip entries made without Unix modes: folders by name or DOS attribute, files 0644', async () => {
  const file = archive(
    'dos.zip',
    rawZip([
      { name: 'folder/', mode: 0 },
      { name: 'folder/file.txt', content: 'dos', mode: 0 },
      { name: 'tool', content: '#!/bin/sh\n', mode: S_IFREG | 0o4777 },
    ]),
  );

  const result = await extractArchive(file, destination, LIMITS);

  expect(readFileSync(path.join(destination, 'folder/file.txt'), 'utf8')).toBe('dos');
  expect(statSync(path.join(destination, 'folder/file.txt')).mode & 0o7777).toBe(0o644);
  expect(statSync(path.join(destination, 'tool')).mode & 0o7777).toBe(0o755);
  expect(result).toMatchObject({ files: 2, directories: 1 });
});
