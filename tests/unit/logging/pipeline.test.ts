import { jest } from '@jest/globals';
import { loadConfig, type AtolyeConfig } from '../../../src/config/index.js';
import {
  createLogging,
  setErrorReporter,
  withLogContext,
  type ErrorReporter,
  type LogMeta,
  type LogRecord,
} from '../../../src/logging/index.js';

function forwarding(level: AtolyeConfig['logging']['level'] = 'debug') {
  const { config } = loadConfig({ env: 'testing', environ: {} });
  const records: LogRecord[] = [];
  const logging = createLogging(
    { ...config, logging: { ...config.logging, level } },
    { service: 'unit', release: 'r1', forward: (record) => records.push(record) },
  );
  return { logging, records };
}

afterEach(() => setErrorReporter(undefined));

test('lines below the configured level are dropped before any work', () => {
  const { logging, records } = forwarding('warn');
  const agent = logging.log('agent');
  agent.debug('d');
  agent.info('i');
  agent.warn('w');
  agent.error('e');
  expect(records.map((record) => `${record.level}:${record.msg}`)).toEqual(['warn:w', 'error:e']);
  expect(logging.log('agent')).toBe(agent);
});

test('the fixed fields come first and the caller cannot overwrite them', () => {
  const { logging, records } = forwarding();
  withLogContext({ requestId: 'req-1' }, () =>
    logging.log('system').info('real', {
      ts: 'x',
      level: 'error',
      channel: 'errors',
      msg: 'fake',
      service: 's',
      extra: 1,
    }),
  );
  const [record] = records;
  expect(record).toMatchObject({
    level: 'info',
    channel: 'system',
    msg: 'real',
    service: 'unit',
    env: 'testing',
    release: 'r1',
    requestId: 'req-1',
    extra: 1,
  });
  expect(record?.ts).not.toBe('x');
  expect(Object.keys(record ?? {})).toEqual([
    'ts',
    'level',
    'channel',
    'msg',
    'service',
    'env',
    'release',
    'requestId',
    'extra',
  ]);
});

test('an Error passed in place of the fields is logged as err', () => {
  const { logging, records } = forwarding();
  logging.log('agent').error('failed', new RangeError('out of range') as unknown as LogMeta);
  expect(records[0]?.err).toMatchObject({ name: 'RangeError', message: 'out of range' });
});

test('the reporter sees each error record once, with the original Error, and its id is kept', () => {
  const reporter = jest.fn<ErrorReporter>((record) =>
    record.msg === 'quiet' ? undefined : 'evt-1',
  );
  setErrorReporter(reporter);
  const { logging, records } = forwarding();
  const err = new Error('boom');
  logging.log('agent').error('failed', { err, attempt: 2 });
  logging.log('agent').error('quiet');
  logging.log('agent').warn('not reported');

  expect(reporter).toHaveBeenCalledTimes(2);
  expect(reporter.mock.calls[0]?.[0]).toMatchObject({
    msg: 'failed',
    attempt: 2,
    err: { message: 'boom' },
  });
  expect(reporter.mock.calls[0]?.[1]).toBe(err);
  expect(reporter.mock.calls[1]?.[1]).toBeUndefined();
  expect(records.map((record) => record.sentryEventId)).toEqual(['evt-1', undefined, undefined]);
});

test('a failing reporter does not lose the line; the failure is noted on it, redacted', () => {
  setErrorReporter(() => {
    throw new Error('reporter down: test-admin-token');
  });
  const { logging, records } = forwarding();
  logging.log('system').error('still written');
  expect(records[0]).toMatchObject({
    msg: 'still written',
    errorReporterFailed: 'reporter down: [REDACTED]',
  });
});
