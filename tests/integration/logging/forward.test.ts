import { readdirSync } from 'node:fs';
import { jest } from '@jest/globals';
import {
  createLogging,
  setErrorReporter,
  withLogContext,
  type ErrorReporter,
  type LogRecord,
} from '../../../src/logging/index.js';
import { liveRecords, testConfig, useTempDir } from './helpers.js';

const dir = useTempDir();

afterEach(() => setErrorReporter(undefined));

test('forward mode hands finished, redacted, JSON-ready records over and writes no file', async () => {
  const forwarded: LogRecord[] = [];
  const worker = createLogging(testConfig({ dir: dir.path }), {
    service: 'fn-tools',
    release: 'w1',
    forward: (record) => forwarded.push(record),
  });
  withLogContext({ invocationId: 'inv-1', function: 'tools' }, () => {
    worker.log('agent').error('tool failed with test-admin-token', { err: new Error('exit 1') });
  });
  worker.log('system').info('worker ready');
  await worker.close();

  expect(readdirSync(dir.path)).toEqual([]);
  expect(forwarded).toHaveLength(2);
  expect(JSON.parse(JSON.stringify(forwarded))).toEqual(forwarded);
  expect(forwarded[0]).toMatchObject({
    level: 'error',
    channel: 'agent',
    msg: 'tool failed with [REDACTED]',
    service: 'fn-tools',
    release: 'w1',
    invocationId: 'inv-1',
    function: 'tools',
    err: { name: 'Error', message: 'exit 1' },
  });
});

test('the host writes forwarded records as they are, error-level ones also into errors', async () => {
  const reporter = jest.fn<ErrorReporter>(() => 'host-event');
  setErrorReporter(reporter);
  const host = createLogging(testConfig({ dir: dir.path }), { service: 'host' });
  const fromWorker: LogRecord = {
    ts: '2025-01-02T03:04:05.678Z',
    level: 'error',
    channel: 'agent',
    msg: 'worker failed',
    service: 'fn-act',
    env: 'testing',
    release: 'w7',
    invocationId: 'inv-9',
    sentryEventId: 'worker-event',
    detail: { attempt: 2, note: 'leaked test-signing-secret' },
  };
  host.writeRecord(fromWorker);
  host.writeRecord({ ...fromWorker, level: 'debug', channel: 'user_interactions', msg: 'chatty' });
  await host.close();

  const expected = { ...fromWorker, detail: { attempt: 2, note: 'leaked [REDACTED]' } };
  expect(liveRecords(dir.path, 'agent')).toEqual([expected]);
  expect(liveRecords(dir.path, 'errors')).toEqual([expected]);
  expect(liveRecords(dir.path, 'user_interactions').map((record) => record.msg)).toEqual([
    'chatty',
  ]);
  // The worker reported it already; the host does not report it again.
  expect(reporter).not.toHaveBeenCalled();
});

test('a forwarded error that no one reported yet is reported by the host, once', async () => {
  const reporter = jest.fn<ErrorReporter>(() => 'host-event');
  setErrorReporter(reporter);
  const host = createLogging(testConfig({ dir: dir.path }), { service: 'host' });
  host.writeRecord({
    ts: '2025-01-02T03:04:05.678Z',
    level: 'error',
    channel: 'system',
    msg: 'echo failed: boom',
    service: 'echo',
    env: 'testing',
    release: 'w7',
    invocationId: 'inv-3',
  });
  await host.close();

  expect(reporter).toHaveBeenCalledTimes(1);
  expect(liveRecords(dir.path, 'errors')).toEqual([
    expect.objectContaining({ msg: 'echo failed: boom', sentryEventId: 'host-event' }),
  ]);
});

test('a forwarded record that is not a record is dropped with a warning naming the problems', async () => {
  const host = createLogging(testConfig({ dir: dir.path }));
  host.writeRecord({ level: 'loud', channel: 'agent' } as unknown as LogRecord);
  await host.close();

  expect(liveRecords(dir.path, 'agent')).toEqual([]);
  const [warning] = liveRecords(dir.path, 'system');
  expect(warning).toMatchObject({
    level: 'warn',
    msg: 'dropped a forwarded log record that is not a valid record',
  });
  expect(warning?.problems).toEqual(
    expect.arrayContaining([expect.stringMatching(/^level: /), expect.stringMatching(/^ts: /)]),
  );
});

test('a worker whose host is gone keeps its lines on stderr', async () => {
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const worker = createLogging(testConfig({ dir: dir.path }), {
      forward: () => {
        throw new Error('channel closed');
      },
    });
    worker.log('agent').info('first');
    worker.log('agent').info('second');
    await worker.close();
    const lines = write.mock.calls.map((call) => JSON.parse(String(call[0])) as LogRecord);
    expect(lines.map((line) => line.msg)).toEqual([
      'log forwarding failed: channel closed',
      'first',
      'second',
    ]);
  } finally {
    write.mockRestore();
  }
});

test('after close, warnings and errors go to stderr and nothing is written to the files', async () => {
  const logging = createLogging(testConfig({ dir: dir.path }));
  logging.log('system').info('before close');
  await logging.close();
  await logging.close(); // idempotent

  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    logging.log('system').info('dropped');
    logging.log('system').error('late error');
    logging.writeRecord({
      ...liveRecords(dir.path, 'system')[0],
      msg: 'late forwarded',
    } as LogRecord);
    logging.writeRecord({
      ...liveRecords(dir.path, 'system')[0],
      level: 'warn',
      msg: 'late warning',
    } as LogRecord);
    const lines = write.mock.calls.map((call) => JSON.parse(String(call[0])) as LogRecord);
    expect(lines.map((line) => line.msg)).toEqual(['late error', 'late warning']);
  } finally {
    write.mockRestore();
  }
  expect(liveRecords(dir.path, 'system').map((record) => record.msg)).toEqual(['before close']);
});
