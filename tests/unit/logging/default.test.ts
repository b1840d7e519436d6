import { jest } from '@jest/globals';
import { loadConfig } from '../../../src/config/index.js';
import { initLogging, log, type LogRecord } from '../../../src/logging/index.js';

// Kept in a module constant before logging is set up, as library code does.
const agent = log('agent');

function captureStderr(): { lines: () => LogRecord[]; restore: () => void } {
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return {
    lines: () => write.mock.calls.map((call) => JSON.parse(String(call[0])) as LogRecord),
    restore: () => write.mockRestore(),
  };
}

test('before initLogging, warnings and errors go to stderr as redacted JSON; the rest is dropped', () => {
  const stderr = captureStderr();
  try {
    agent.debug('dropped');
    agent.info('dropped');
    agent.warn('key sk-abcdefghijklmnopqrstuvwx rejected');
    agent.error('failed', { password: 'hunter2' });
    expect(stderr.lines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        channel: 'agent',
        msg: 'key [REDACTED] rejected',
        env: 'testing',
      }),
      expect.objectContaining({ level: 'error', msg: 'failed', password: '[REDACTED]' }),
    ]);
  } finally {
    stderr.restore();
  }
});

test('initLogging makes the default that log() writes to, until it is closed', async () => {
  const { config } = loadConfig({ env: 'testing', environ: {} });
  const forwarded: LogRecord[] = [];
  const logging = initLogging(config, {
    service: 'unit',
    release: 'r2',
    forward: (record) => forwarded.push(record),
  });
  agent.debug('debug line');
  agent.info('info line');
  log('system').warn('warn line');
  agent.error('error line');
  expect(forwarded.map((record) => `${record.channel}:${record.msg}`)).toEqual([
    'agent:debug line',
    'agent:info line',
    'system:warn line',
    'agent:error line',
  ]);
  expect(forwarded[0]).toMatchObject({ service: 'unit', release: 'r2', env: 'testing' });

  await logging.close();
  const stderr = captureStderr();
  try {
    agent.info('after close: dropped');
    agent.warn('after close: kept');
    expect(stderr.lines().map((record) => record.msg)).toEqual(['after close: kept']);
    expect(forwarded).toHaveLength(4);
  } finally {
    stderr.restore();
  }
});
