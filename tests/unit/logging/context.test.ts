import { currentLogContext, withLogContext } from '../../../src/logging/index.js';

test('outside any entry point the context is empty', () => {
  expect(currentLogContext()).toEqual({});
});

test('nested contexts merge over the outer one, which returns afterwards', () => {
  const seen = withLogContext({ requestId: 'req-1', step: 'plan' }, () => {
    const inner = withLogContext({ step: 'act', runId: 'run-1', threadId: undefined }, () =>
      currentLogContext(),
    );
    return { inner, after: currentLogContext() };
  });
  expect(seen.inner).toEqual({ requestId: 'req-1', step: 'act', runId: 'run-1' });
  expect(seen.after).toEqual({ requestId: 'req-1', step: 'plan' });
  expect(currentLogContext()).toEqual({});
});

test('an undefined value keeps the outer value', () => {
  withLogContext({ runId: 'run-1' }, () => {
    withLogContext({ runId: undefined, step: 'tools' }, () => {
      expect(currentLogContext()).toEqual({ runId: 'run-1', step: 'tools' });
    });
  });
});

test('the context survives awaits and timers, and concurrent entry points stay apart', async () => {
  const run = (requestId: string, delay: number): Promise<unknown[]> =>
    withLogContext({ requestId }, async () => {
      const seen: unknown[] = [currentLogContext().requestId];
      await new Promise((resolve) => setTimeout(resolve, delay));
      seen.push(currentLogContext().requestId);
      await Promise.resolve();
      seen.push(
        await new Promise((resolve) => setImmediate(() => resolve(currentLogContext().requestId))),
      );
      return seen;
    });
  const [a, b] = await Promise.all([run('a', 10), run('b', 1)]);
  expect(a).toEqual(['a', 'a', 'a']);
  expect(b).toEqual(['b', 'b', 'b']);
});

test('the context cannot be changed through the object it hands out', () => {
  withLogContext({ requestId: 'req-1' }, () => {
    expect(() => {
      (currentLogContext() as { requestId?: string }).requestId = 'other';
    }).toThrow(TypeError);
    expect(currentLogContext().requestId).toBe('req-1');
  });
});
