import echo from '../../../functions/echo/index.js';
import type { HandlerContext } from '../../../src/runtime/contract.js';
import { withEnv } from '../../helpers/env.js';

function context(signal = new AbortController().signal): HandlerContext & { logged: unknown[] } {
  const logged: unknown[] = [];
  const record = (msg: string, fields?: Record<string, unknown>): void =>
    void logged.push({ msg, fields });
  return {
    invocationId: 'inv-1',
    attempt: 1,
    signal,
    log: { info: record, warn: record, error: record, debug: record },
    logged,
  };
}

describe('the echo function', () => {
  it('declares its limits and its one secret', () => {
    expect(echo.name).toBe('echo');
    expect(echo.secrets).toEqual(['ECHO_SECRET']);
    expect(echo.limits).toMatchObject({ timeoutMs: 10_000, concurrency: 8, maxWorkers: 2 });
  });

  it('returns its message, counts invocations and logs through the context', async () => {
    const ctx = context();
    const first = await echo.handle({ message: 'hi' }, ctx);
    const second = await echo.handle({ message: 'again' }, ctx);
    expect(first).toMatchObject({ message: 'hi', pid: process.pid, envValue: null });
    expect(second.invocations).toBe(first.invocations + 1);
    expect(ctx.logged).toEqual([
      { msg: 'echo', fields: { length: 2 } },
      { msg: 'echo', fields: { length: 5 } },
    ]);
  });

  it('reads only the variable it is asked for', async () => {
    // A worker's environment is its process's: the host hands it the declared variables.
    const output = await withEnv({ ECHO_TEST_VALUE: 'visible' }, () =>
      echo.handle({ message: 'x', env: 'ECHO_TEST_VALUE' }, context()),
    );
    expect(output.envValue).toBe('visible');
  });

  it('fails on request, retryably or not', async () => {
    await expect(echo.handle({ message: 'boom', fail: 'error' }, context())).rejects.toThrow(
      'echo was asked to fail: boom',
    );
    await expect(echo.handle({ message: 'x', fail: 'retryable' }, context())).rejects.toMatchObject(
      {
        code: 'ECHO_RETRYABLE',
        retryable: true,
      },
    );
  });

  it('stops waiting when its deadline aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const reply = echo.handle({ message: 'slow', delayMs: 60_000 }, context(controller.signal));
    setTimeout(() => controller.abort(), 20);
    await expect(reply).resolves.toMatchObject({ message: 'slow' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('rejects input that breaks its schema', () => {
    const parsed = echo.input.safeParse({ message: 5 });
    expect(parsed.success).toBe(false);
  });
});
