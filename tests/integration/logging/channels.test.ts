import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { jest } from '@jest/globals';
import { AtolyeError } from '../../../src/errors.js';
import {
  CHANNELS,
  createLogging,
  setErrorReporter,
  type ErrorReporter,
  withLogContext,
  type LogRecord,
} from '../../../src/logging/index.js';
import { liveRecords, testConfig, useTempDir } from './helpers.js';

const dir = useTempDir();

afterEach(() => setErrorReporter(undefined));

const messages = (records: LogRecord[]): string[] => records.map((record) => record.msg);

test('each channel writes its own file; error lines of any channel are copied into errors', async () => {
  const logging = createLogging(testConfig({ dir: dir.path, level: 'info' }), {
    service: 'host',
    release: 'r9',
  });
  logging.log('system').info('system up');
  logging.log('agent').warn('agent slow');
  logging.log('user_interactions').info('user asked');
  logging.log('agent').error('agent failed', {
    err: new AtolyeError('MODEL_UNREACHABLE', 'model unreachable', { retryable: true }),
  });
  logging.log('errors').error('direct error');
  logging.log('system').debug('below the configured level');
  await logging.close();

  expect(messages(liveRecords(dir.path, 'system'))).toEqual(['system up']);
  expect(messages(liveRecords(dir.path, 'agent'))).toEqual(['agent slow', 'agent failed']);
  expect(messages(liveRecords(dir.path, 'user_interactions'))).toEqual(['user asked']);
  expect(messages(liveRecords(dir.path, 'errors'))).toEqual(['agent failed', 'direct error']);

  const [copy] = liveRecords(dir.path, 'errors');
  expect(copy).toEqual(liveRecords(dir.path, 'agent')[1]);
  expect(copy).toMatchObject({
    level: 'error',
    channel: 'agent',
    service: 'host',
    env: 'testing',
    release: 'r9',
    err: {
      name: 'AtolyeError',
      message: 'model unreachable',
      code: 'MODEL_UNREACHABLE',
      retryable: true,
    },
  });
  expect(Object.keys(copy as LogRecord).slice(0, 7)).toEqual([
    'ts',
    'level',
    'channel',
    'msg',
    'service',
    'env',
    'release',
  ]);
  expect((copy?.err as { stack: string }).stack).toContain('channels.test.ts');
  expect(Date.parse(copy?.ts ?? '')).not.toBeNaN();
});

test('every line inside withLogContext carries the context, across awaits and nesting', async () => {
  const logging = createLogging(testConfig({ dir: dir.path }));
  await withLogContext({ requestId: 'req-1', threadId: 'thread-1' }, async () => {
    logging.log('user_interactions').info('received');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await withLogContext(
      { runId: 'run-1', step: 'plan', invocationId: 'inv-1', function: 'plan' },
      async () => {
        await Promise.resolve();
        logging.log('agent').error('step failed');
      },
    );
    logging.log('user_interactions').info('answered');
  });
  logging.log('system').info('outside');
  await logging.close();

  const outer = { requestId: 'req-1', threadId: 'thread-1' };
  const inner = { ...outer, runId: 'run-1', step: 'plan', invocationId: 'inv-1', function: 'plan' };
  const [received, answered] = liveRecords(dir.path, 'user_interactions');
  expect(received).toMatchObject(outer);
  expect(answered).toMatchObject(outer);
  expect(answered).not.toHaveProperty('runId');
  expect(liveRecords(dir.path, 'agent')[0]).toMatchObject(inner);
  expect(liveRecords(dir.path, 'errors')[0]).toMatchObject(inner);
  expect(liveRecords(dir.path, 'system')[0]).not.toHaveProperty('requestId');
});

test('secrets are redacted in the files and the logged object is left untouched', async () => {
  const base = testConfig({ dir: dir.path });
  const config = {
    ...base,
    sentry: { ...base.sentry, dsn: 'https://abc123dsnkey@o1.ingest.sentry.io/42' },
  };
  const logging = createLogging(config);
  const fields = {
    headers: { Authorization: 'Bearer abcdefgh12345678', cookie: 'sid=s1d' },
    nested: [{ password: 'hunter2', apiKey: 'key-one', api_key: 'key-two', 'x-api-key': 'key-3' }],
    note: 'used test-signing-secret, sk-proj-abcdefghijklmnop1234 and Bearer zyxwvutsrq987654',
    database: 'postgres://app:s3cretpw@db:5432/atolye',
    dsn: 'https://abc123dsnkey@o1.ingest.sentry.io/42',
    promptTokens: 12,
  };
  const before = structuredClone(fields);
  logging
    .log('agent')
    .info('calling https://otherkey9@example.com/1 with test-admin-token', fields);
  await logging.close();

  expect(fields).toEqual(before);
  const text = readFileSync(path.join(dir.path, 'agent.log'), 'utf8');
  for (const secret of [
    'test-signing-secret',
    'test-admin-token',
    'sk-proj-abcdefghijklmnop1234',
    'abcdefgh12345678',
    'zyxwvutsrq987654',
    's3cretpw',
    'hunter2',
    'key-one',
    'key-two',
    'key-3',
    's1d',
    'abc123dsnkey',
    'otherkey9',
  ]) {
    expect(text).not.toContain(secret);
  }
  expect(liveRecords(dir.path, 'agent')[0]).toMatchObject({
    msg: 'calling https://[REDACTED]@example.com/1 with [REDACTED]',
    headers: { Authorization: '[REDACTED]', cookie: '[REDACTED]' },
    nested: [
      {
        password: '[REDACTED]',
        apiKey: '[REDACTED]',
        api_key: '[REDACTED]',
        'x-api-key': '[REDACTED]',
      },
    ],
    note: 'used [REDACTED], [REDACTED] and Bearer [REDACTED]',
    database: 'postgres://app:[REDACTED]@db:5432/atolye',
    dsn: '[REDACTED]',
    promptTokens: 12,
  });
});

test('each channel has a <channel>.log symlink to its live file and an audit file', async () => {
  const logging = createLogging(testConfig({ dir: dir.path }));
  for (const channel of CHANNELS) logging.log(channel).info(`hello ${channel}`);
  await logging.close();

  for (const channel of CHANNELS) {
    const link = path.join(dir.path, `${channel}.log`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const target = readlinkSync(link);
    expect(target).toMatch(new RegExp(`^${channel}-\\d{4}-\\d{2}-\\d{2}\\.log$`));
    expect(existsSync(path.join(dir.path, target))).toBe(true);

    const audit = JSON.parse(
      readFileSync(path.join(dir.path, '.audit', `${channel}.json`), 'utf8'),
    ) as {
      files: { name: string }[];
    };
    expect(audit.files.map((file) => path.basename(file.name))).toEqual([target]);
  }
});

test('the error reporter is called once per error record and its id lands on every copy', async () => {
  const reporter = jest.fn<ErrorReporter>((record) => `event-${record.msg}`);
  setErrorReporter(reporter);
  const logging = createLogging(testConfig({ dir: dir.path }));
  const err = new Error('broken');
  logging.log('agent').error('failed', { err });
  logging.log('agent').warn('only a warning');
  await logging.close();

  expect(reporter).toHaveBeenCalledTimes(1);
  expect(reporter.mock.calls[0]?.[1]).toBe(err);
  expect(liveRecords(dir.path, 'agent').map((record) => record.sentryEventId)).toEqual([
    'event-failed',
    undefined,
  ]);
  expect(liveRecords(dir.path, 'errors')[0]?.sentryEventId).toBe('event-failed');
});

test('console output is human, redacted and on stderr when logging.console is on', async () => {
  const stderr = (console as unknown as { _stderr: NodeJS.WritableStream })._stderr;
  const write = jest.spyOn(stderr, 'write').mockImplementation(() => true);
  try {
    const logging = createLogging(testConfig({ dir: dir.path, console: true }));
    withLogContext({ runId: 'run-7' }, () =>
      logging.log('agent').info('token test-admin-token', { files: 3 }),
    );
    await logging.close();
    // Colours depend on the terminal the tests run in; the text must not.
    const printed = stripVTControlCharacters(
      write.mock.calls.map((call) => String(call[0])).join(''),
    );
    expect(printed).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}INFO {3}agent {2}token \[REDACTED\] {2}runId=run-7 {2}\{"files":3\}/,
    );
    expect(liveRecords(dir.path, 'agent')[0]?.msg).toBe('token [REDACTED]');
  } finally {
    write.mockRestore();
  }
});

test('the testing configuration prints nothing to the console', async () => {
  const stderr = (console as unknown as { _stderr: NodeJS.WritableStream })._stderr;
  const write = jest.spyOn(stderr, 'write');
  const logging = createLogging(testConfig({ dir: dir.path }));
  logging.log('system').error('quiet');
  await logging.close();
  expect(write).not.toHaveBeenCalled();
  write.mockRestore();
});

test('a synchronous burst keeps every line, in order', async () => {
  const logging = createLogging(testConfig({ dir: dir.path }));
  for (let id = 0; id < 5000; id++) logging.log('agent').info('burst', { id });
  await logging.close();
  expect(liveRecords(dir.path, 'agent').map((record) => record.id)).toEqual([
    ...Array(5000).keys(),
  ]);
});
