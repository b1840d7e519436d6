/**
 * A log disk that runs full, then has room again: the channel reports the error once, drops the
 * lines it cannot write (and counts them), and writes again once there is room, as the process
 * goes on. On a real 64 KiB tmpfs (the test runs as root to mount it).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogRecord } from '../../../src/logging/index.js';
import { ChannelFilesSink } from '../../../src/logging/sinks.js';
import { eventually } from '../../helpers/eventually.js';
import { testConfig } from './helpers.js';

let dir: string;
let mounted = false;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'atolye-disk-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', dir]);
  mounted = true;
});

afterAll(() => {
  // Lazily: a stream left open by a failed test must not keep the mount.
  if (mounted) execFileSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
});

const FILLER = () => path.join(dir, 'filler');

/** Writes until the disk is full: large pieces, then smaller ones for its last pages. */
function fill(): void {
  const fd = openSync(FILLER(), 'a');
  try {
    for (let size = 64 * 1024; size >= 512; size /= 2) {
      try {
        for (;;) writeSync(fd, Buffer.alloc(size));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const record = (msg: string): LogRecord => ({
  ts: new Date().toISOString(),
  level: 'info',
  channel: 'agent',
  msg,
  service: 'disk-test',
  env: 'testing',
  release: 'r1',
  padding: 'x'.repeat(200),
});

/** The lines of a channel's live file: the records, and the lines that are not JSON. */
function linesOf(channel: string): { records: LogRecord[]; broken: string[] } {
  const records: LogRecord[] = [];
  const broken: string[] = [];
  for (const line of readFileSync(path.join(dir, `${channel}.log`), 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch {
      broken.push(line);
    }
  }
  return { records, broken };
}

test('lines written while the disk is full are dropped and counted; once it has room, lines land again', async () => {
  const errors: Error[] = [];
  const sink = new ChannelFilesSink(dir, testConfig({}).logging, (error) => errors.push(error));
  let written = 0;
  const write = (msg: string): void => {
    written += 1;
    sink.write(record(msg));
  };
  try {
    write('before');
    await eventually('the first line on disk', () => linesOf('agent').records.length === 1);

    fill();
    for (let index = 0; index < 100; index += 1) write(`during ${index}`);
    await eventually('the full disk reported', () => errors.length > 0);

    rmSync(FILLER());
    let after = 0;
    await eventually(
      'a line written after the disk had room',
      () => {
        write(`after ${(after += 1)}`);
        return linesOf('agent').records.some((line) => line.msg.startsWith('after'));
      },
      { intervalMs: 100 },
    );
  } finally {
    await sink.close();
  }

  // Reported once, though every line written during the pause failed to land.
  expect(errors.map((error) => (error as NodeJS.ErrnoException).code)).toEqual(['ENOSPC']);
  const { records, broken } = linesOf('agent');
  expect(records[0]?.msg).toBe('before');
  expect(records.at(-1)?.msg).toMatch(/^after \d+$/);
  // A line the full disk cut short stays cut, but the next line starts on a line of its own.
  expect(broken.length).toBeLessThanOrEqual(1);

  const notes = linesOf('system').records;
  expect(notes).toEqual([
    expect.objectContaining({
      level: 'warn',
      channel: 'system',
      service: 'disk-test',
      logChannel: 'agent',
      code: 'ENOSPC',
      msg: expect.stringMatching(/^log file of agent written again: \d+ lines were dropped/),
    }),
  ]);
  // Every line is on disk whole or counted as dropped (a cut line is a dropped one).
  expect(notes[0]?.droppedLines).toBeGreaterThanOrEqual(1);
  expect(records.length + Number(notes[0]?.droppedLines)).toBe(written);
});
