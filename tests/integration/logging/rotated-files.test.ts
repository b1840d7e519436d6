import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { jest } from '@jest/globals';
import { Archiver } from '../../../src/logging/archive.js';
import { FileTracker } from '../../../src/logging/file-tracker.js';
import { useTempDir } from './helpers.js';

const dir = useTempDir();

test('archives a file only once it is complete, then removes the source', async () => {
  const onError = jest.fn();
  const archiver = new Archiver(onError);
  const file = path.join(dir.path, 'a.log');
  writeFileSync(file, 'one\n');
  let complete!: () => void;
  archiver.archive(file, new Promise<void>((resolve) => (complete = resolve)));
  archiver.archive(file, Promise.resolve()); // scheduled once only
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(existsSync(`${file}.gz`)).toBe(false);

  writeFileSync(file, 'two\n', { flag: 'a' });
  complete();
  await archiver.idle();
  expect(gunzipSync(readFileSync(`${file}.gz`)).toString()).toBe('one\ntwo\n');
  expect(existsSync(file)).toBe(false);
  expect(existsSync(`${file}.gz.partial`)).toBe(false);
  expect(onError).not.toHaveBeenCalled();
});

test('a file already gone is nothing to archive; a file that cannot be read is reported', async () => {
  const onError = jest.fn();
  const archiver = new Archiver(onError);
  archiver.archive(path.join(dir.path, 'gone.log'), Promise.resolve());
  const unreadable = path.join(dir.path, 'dir.log');
  mkdirSync(unreadable);
  archiver.archive(unreadable, Promise.resolve());
  await archiver.idle();

  expect(existsSync(path.join(dir.path, 'gone.log.gz'))).toBe(false);
  expect(onError).toHaveBeenCalledTimes(1);
  expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'EISDIR' }));
  expect(existsSync(`${unreadable}.gz.partial`)).toBe(false);
});

test('a file removed by retention while being archived leaves no archive behind', async () => {
  const archiver = new Archiver(jest.fn());
  const file = path.join(dir.path, 'old.log');
  writeFileSync(file, 'x\n'.repeat(10_000));
  archiver.archive(file, Promise.resolve());
  archiver.remove(file, Promise.resolve());
  await archiver.idle();
  expect(existsSync(file)).toBe(false);
  expect(existsSync(`${file}.gz`)).toBe(false);
});

test('the tracker resolves only once a stream written through it has closed with all its data', async () => {
  const tracker = new FileTracker();
  const file = path.join(dir.path, 'big.log');
  const stream = createWriteStream(file, { flags: 'a', fs: tracker.fs });
  tracker.watch(file);
  const chunk = 'y'.repeat(1024 * 1024);
  for (let i = 0; i < 16; i++) stream.write(chunk);
  stream.end();
  let closed = false;
  const done = tracker.closed(file).then(() => (closed = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(closed).toBe(false);
  await tracker.allClosed();
  await done;
  expect(statSync(file).size).toBe(16 * 1024 * 1024);
  await expect(tracker.closed(file)).resolves.toBeUndefined(); // already closed: at once
});

test('the tracker settles files it never opened, and files whose open failed', async () => {
  const tracker = new FileTracker();
  await expect(tracker.settled(path.join(dir.path, 'earlier-run.log'))).resolves.toBeUndefined();
  const directory = path.join(dir.path, 'a-directory.log');
  mkdirSync(directory);
  const stream = createWriteStream(directory, { flags: 'a', fs: tracker.fs });
  const failed = new Promise((resolve) => stream.on('error', resolve));
  stream.write('lost');
  expect(await failed).toMatchObject({ code: 'EISDIR' });
  await tracker.allClosed();
  await expect(tracker.settled(directory)).resolves.toBeUndefined();
});
