import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { CHANNELS, createLogging } from '../../../src/logging/index.js';
import { allRecords, channelFiles, liveRecords, testConfig, useTempDir } from './helpers.js';

const dir = useTempDir();
const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('100,000 lines through several rotations per channel, then exit: each is on disk exactly once', async () => {
  const total = 100_000;
  const started = performance.now();
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'fixtures', 'writer.ts')],
    {
      cwd: path.resolve(here, '../../..'),
      env: {
        PATH: process.env.PATH ?? '',
        ATOLYE_LOG_DIR: dir.path,
        ATOLYE_LOG_MAX_SIZE: '1m',
        ATOLYE_LOG_MAX_FILES: '1000',
        LINES: String(total),
      },
    },
  );
  const seconds = (performance.now() - started) / 1000;

  const seen = new Map<number, number>();
  const misrouted: number[] = [];
  for (const channel of CHANNELS) {
    const files = channelFiles(dir.path, channel);
    const live = readlinkSync(path.join(dir.path, `${channel}.log`));
    // Every file but the live one was rotated and gzipped; no half-written archive is left.
    expect(files.filter((name) => !name.endsWith('.gz'))).toEqual([live]);
    expect(files.filter((name) => name.endsWith('.gz')).length).toBeGreaterThanOrEqual(3);
    for (const record of allRecords(dir.path, channel)) {
      const id = record.id as number;
      if (CHANNELS[id % 4] !== channel) misrouted.push(id);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  }
  expect(misrouted).toEqual([]);
  expect(seen.size).toBe(total);
  expect([...seen.values()].filter((count) => count !== 1)).toEqual([]);
  const { logMs, closeMs } = JSON.parse(stdout) as { logMs: number; closeMs: number };
  process.stdout.write(
    `100k lines: logged in ${logMs} ms, closed in ${closeMs} ms ` +
      `(${Math.round(total / ((logMs + closeMs) / 1000))} lines/s); whole test ${seconds.toFixed(1)} s\n`,
  );
});

test('retention keeps maxFiles files per channel and removes their archives too', async () => {
  const logging = createLogging(
    testConfig({ dir: dir.path, maxSize: '1k', maxFiles: '2', datePattern: '[day]' }),
  );
  for (let id = 0; id < 40; id++) {
    logging.log('system').info('line', { id, pad: 'y'.repeat(300) });
    await turn();
  }
  await logging.close();

  const files = channelFiles(dir.path, 'system').sort();
  expect(files).toHaveLength(2);
  const audit = JSON.parse(readFileSync(path.join(dir.path, '.audit', 'system.json'), 'utf8')) as {
    files: { name: string }[];
  };
  expect(audit.files.map((file) => path.basename(file.name)).sort()).toEqual(
    files.map((name) => name.replace(/\.gz$/, '')).sort(),
  );
  // The newest lines survive.
  expect(allRecords(dir.path, 'system').map((record) => record.id)).toContain(39);
});

test('a restart archives the live file of the previous run once it is no longer written', async () => {
  const config = testConfig({ dir: dir.path, maxSize: '1k', datePattern: '[day]' });
  const pad = 'z'.repeat(500);
  const first = createLogging(config);
  for (let id = 0; id < 4; id++) {
    first.log('agent').info('first run', { id, pad });
    await turn(); // one write per line, so the two files are predictable
  }
  await first.close();
  expect(channelFiles(dir.path, 'agent').sort()).toEqual(['agent-day.1.log', 'agent-day.log.gz']);

  const second = createLogging(config);
  second.log('agent').info('second run', { id: 4 });
  await second.close();
  expect(channelFiles(dir.path, 'agent').sort()).toEqual([
    'agent-day.1.log.gz',
    'agent-day.2.log',
    'agent-day.log.gz',
  ]);
  expect(
    allRecords(dir.path, 'agent')
      .map((record) => record.id)
      .sort(),
  ).toEqual([0, 1, 2, 3, 4]);
  expect(liveRecords(dir.path, 'agent').map((record) => record.msg)).toEqual(['second run']);
});

test('files that expire while a restarted process starts lose their archives too', async () => {
  const pad = 'w'.repeat(500);
  const first = createLogging(
    testConfig({ dir: dir.path, maxSize: '1k', maxFiles: '10', datePattern: '[day]' }),
  );
  for (let id = 0; id < 8; id++) {
    first.log('agent').info('first run', { id, pad });
    await turn();
  }
  await first.close();
  expect(channelFiles(dir.path, 'agent').sort()).toEqual([
    'agent-day.1.log.gz',
    'agent-day.2.log.gz',
    'agent-day.3.log',
    'agent-day.log.gz',
  ]);

  const second = createLogging(
    testConfig({ dir: dir.path, maxSize: '1k', maxFiles: '2', datePattern: '[day]' }),
  );
  second.log('agent').info('second run', { id: 8 });
  await second.close();
  expect(channelFiles(dir.path, 'agent').sort()).toEqual(['agent-day.3.log.gz', 'agent-day.4.log']);
});

test('with zippedArchive off, rotated files stay plain; a unit-less maxSize counts bytes', async () => {
  const logging = createLogging(
    testConfig({ dir: dir.path, maxSize: '2048', zippedArchive: false, datePattern: '[day]' }),
  );
  for (let id = 0; id < 12; id++) {
    logging.log('system').info('line', { id, pad: 'p'.repeat(400) });
    await turn();
  }
  await logging.close();
  const files = channelFiles(dir.path, 'system');
  expect(files.length).toBeGreaterThanOrEqual(3);
  expect(files.filter((name) => name.endsWith('.gz'))).toEqual([]);
  const ids = allRecords(dir.path, 'system').map((record) => record.id as number);
  expect(ids.sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
});

test('without an audit trail a restart reuses names: archives gain a gzip member, no line is lost', async () => {
  const config = testConfig({ dir: dir.path, maxSize: '1k', maxFiles: '0', datePattern: '[day]' });
  const pad = 'q'.repeat(500);
  for (const run of [0, 1]) {
    const logging = createLogging(config);
    for (let n = 0; n < 4; n++) {
      logging.log('agent').info('line', { id: run * 4 + n, pad });
      await turn();
    }
    await logging.close();
  }
  expect(channelFiles(dir.path, 'agent').sort()).toEqual(['agent-day.1.log', 'agent-day.log.gz']);
  const ids = allRecords(dir.path, 'agent').map((record) => record.id as number);
  expect(ids.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
});

test('a file that cannot be opened is reported once on stderr and close() still resolves', async () => {
  mkdirSync(path.join(dir.path, 'system-day.log')); // a directory where the live file should be
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const logging = createLogging(testConfig({ dir: dir.path, datePattern: '[day]' }));
    logging.log('system').info('lost: its file cannot be opened');
    logging.log('system').info('lost too');
    logging.log('agent').info('kept');
    await logging.close();
    const reports = write.mock.calls
      .map((call) => String(call[0]))
      .filter((line) => line.includes('EISDIR'));
    expect(reports).toHaveLength(1);
    expect(JSON.parse(reports[0] ?? '')).toMatchObject({ level: 'error', channel: 'system' });
    expect(liveRecords(dir.path, 'agent').map((record) => record.msg)).toEqual(['kept']);
  } finally {
    write.mockRestore();
  }
});

test('an unusable log directory fails fast with an actionable error', () => {
  // A regular file where a parent directory should be.
  const file = path.join(dir.path, 'not-a-dir');
  writeFileSync(file, '');
  expect(() => createLogging(testConfig({ dir: path.join(file, 'logs') }))).toThrow(
    expect.objectContaining({
      code: 'LOG_DIR_UNWRITABLE',
      message: expect.stringContaining('logging.dir'),
    }),
  );
});
