import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  assertThreadId,
  isThreadId,
  THREAD_ID_PATTERN,
  THREAD_ID_RULE,
  ThreadId,
  threadIdRefusal,
} from '../../../src/workspace/thread-id.js';

describe('isThreadId', () => {
  it.each([
    'a',
    '7',
    'thread-1',
    'A.b_c-d',
    'v1.2.3',
    'x'.repeat(128),
    // The ids the run API makes itself.
    randomUUID(),
    randomUUID().toUpperCase(),
  ])('accepts %j', (id) => {
    expect(isThreadId(id)).toBe(true);
  });

  it.each([
    '',
    '.',
    '..',
    '.hidden',
    '.atolye-git',
    'a..b',
    'a.._b',
    'a..',
    '../x',
    'a/../b',
    'a/b',
    'a\\b',
    '-a',
    '_a',
    'a b',
    'a\nb',
    'a\0',
    'çay',
    'x'.repeat(129),
  ])('refuses %j', (id) => {
    expect(isThreadId(id)).toBe(false);
  });

  it.each([undefined, null, 7, ['a'], { id: 'a' }])('refuses the non-string %p', (value) => {
    expect(isThreadId(value)).toBe(false);
  });
});

describe('ThreadId (the request schema)', () => {
  it('takes what isThreadId takes and refuses the rest, saying the allowed form', () => {
    expect(ThreadId.parse('thread-1')).toBe('thread-1');
    const refused = ThreadId.safeParse('a..b');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe(`a thread id is ${THREAD_ID_RULE}`);
  });

  it('states the whole rule, ".." included, as its JSON Schema pattern', () => {
    const schema = z.toJSONSchema(ThreadId) as { pattern?: string };
    expect(schema.pattern).toBe(THREAD_ID_PATTERN.source);
    const pattern = new RegExp(schema.pattern ?? '');
    expect(pattern.test('a..b')).toBe(false);
    expect(pattern.test('a.b')).toBe(true);
  });
});

describe('assertThreadId', () => {
  it('passes a thread id', () => {
    expect(() => assertThreadId('thread-1')).not.toThrow();
  });

  it('refuses anything else as INVALID_REQUEST naming the value and the rule', () => {
    expect(() => assertThreadId('../etc')).toThrow(
      expect.objectContaining({
        code: 'INVALID_REQUEST',
        retryable: false,
        message: `"../etc" is not a thread id: use ${THREAD_ID_RULE}`,
      }),
    );
  });

  it('shortens a long value in the message', () => {
    const message = threadIdRefusal('y'.repeat(10_000));
    expect(message.length).toBeLessThan(THREAD_ID_RULE.length + 100);
    expect(message).toContain('…');
    expect(threadIdRefusal(undefined)).toMatch(/^null is not a thread id/);
  });
});
