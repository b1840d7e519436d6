import { jsonLine, prettyLine } from '../../../src/logging/format.js';
import type { LogRecord } from '../../../src/logging/index.js';

const record: LogRecord = {
  ts: '2025-01-02T03:04:05.678Z',
  level: 'warn',
  channel: 'agent',
  msg: 'tool slow',
  service: 'host',
  env: 'development',
  release: '1.0.0',
  runId: 'run-1',
  step: 'tools',
  durationMs: 812,
};

test('a JSON line is one line that parses back to the record', () => {
  const line = jsonLine({ ...record, msg: 'two\nlines' });
  expect(line).not.toContain('\n');
  expect(JSON.parse(line)).toEqual({ ...record, msg: 'two\nlines' });
});

test('the pretty line shows time, level, channel, message, context and the other fields', () => {
  expect(prettyLine(record, false)).toBe(
    '03:04:05.678  WARN   agent  tool slow  runId=run-1 step=tools  {"durationMs":812}',
  );
});

test('the pretty line puts error stacks on the following lines and colours on request', () => {
  const err = { name: 'Error', message: 'boom', stack: 'Error: boom\n    at act (act.ts:1:1)' };
  const plain = prettyLine(
    { ...record, level: 'error', err, runId: undefined, step: undefined },
    false,
  );
  expect(plain.split('\n')).toEqual([
    '03:04:05.678  ERROR  agent  tool slow  {"durationMs":812,"err":{"name":"Error","message":"boom"}}',
    '    Error: boom',
    '        at act (act.ts:1:1)',
  ]);
  const coloured = prettyLine({ ...record, level: 'error' }, true);
  expect(coloured).toContain('\x1b[31mERROR\x1b[0m');
  expect(coloured).not.toBe(prettyLine({ ...record, level: 'error' }, false));
});

test('a record without extra fields has no trailing JSON', () => {
  const bare: LogRecord = { ...record, runId: undefined, step: undefined };
  delete bare.durationMs;
  expect(prettyLine(bare, false)).toBe('03:04:05.678  WARN   agent  tool slow');
});
