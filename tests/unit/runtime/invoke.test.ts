import { AtolyeError } from '../../../src/errors.js';
import { InvokeError, createInvoker } from '../../../src/runtime/invoke.js';

// Nothing here reaches the network: each case fails before a request is made. A fetch that
// records calls proves it.
function recordingFetch(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const fake: typeof fetch = async (url) => {
    calls.push(String(url));
    throw new Error('no request should be made');
  };
  return { fetch: fake, calls };
}

const base = { baseUrl: 'http://127.0.0.1:9', secret: 's3cret' };

describe('createInvoker options', () => {
  it.each([
    [{ baseUrl: 'not a url' }, 'baseUrl "not a url" is not a URL'],
    [{ baseUrl: 'ftp://host/' }, 'must be http or https'],
    [{ secret: '' }, 'secret must not be empty'],
    [{ timeoutMs: 0 }, 'timeoutMs must be a positive number'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs must be a positive number'],
    // Only 0 type-checks; a JavaScript caller may still pass more, and is told why not.
    [{ retries: 2 as unknown as 0 }, 'retries must be 0, got 2: the client makes one attempt'],
  ])('refuses %j', (override, message) => {
    const make = (): unknown => createInvoker({ ...base, ...override });
    expect(make).toThrow(AtolyeError);
    expect(make).toThrow(message);
    try {
      make();
    } catch (error) {
      expect((error as AtolyeError).code).toBe('INVOKER_INVALID');
    }
  });

  it('refuses bad per-call options as the call', async () => {
    const { fetch, calls } = recordingFetch();
    const invoke = createInvoker({ ...base, fetch });
    await expect(invoke('plan', {}, { meta: { attempt: 0 } })).rejects.toMatchObject({
      code: 'INVOKER_INVALID',
    });
    await expect(invoke('plan', {}, { timeoutMs: -1 })).rejects.toMatchObject({
      code: 'INVOKER_INVALID',
    });
    expect(calls).toEqual([]);
  });
});

describe('invoke before any request', () => {
  it.each(['', 'Plan', '../admin', 'plan/x', 'a'.repeat(41)])(
    'refuses the function name %j without sending it',
    async (name) => {
      const { fetch, calls } = recordingFetch();
      const error = await createInvoker({ ...base, fetch })(name, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvokeError);
      expect(error).toMatchObject({
        code: 'INVOKE_BAD_NAME',
        retryable: false,
        status: undefined,
      });
      expect(calls).toEqual([]);
    },
  );

  it('refuses input that cannot be JSON, naming the function', async () => {
    const { fetch, calls } = recordingFetch();
    const invoke = createInvoker({ ...base, fetch });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const input of [{ n: 10n }, circular]) {
      const error = await invoke('tools', input).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'INVOKE_BAD_INPUT',
        retryable: false,
        functionName: 'tools',
      });
      expect((error as Error).message).toContain('input for function tools cannot be sent as JSON');
    }
    expect(calls).toEqual([]);
  });

  it('does not start when the caller has already aborted', async () => {
    const { fetch, calls } = recordingFetch();
    const reason = new Error('run cancelled');
    const error = await createInvoker({ ...base, fetch })(
      'plan',
      {},
      { signal: AbortSignal.abort(reason) },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'INVOKE_ABORTED',
      retryable: false,
      cause: reason,
    });
    expect(calls).toEqual([]);
  });
});

describe('invoke with a fetch that throws something odd', () => {
  it('reports a thrown non-error as INVOKE_FAILED, not retryable', async () => {
    let calls = 0;
    const odd: typeof fetch = () => {
      calls += 1;
      return Promise.reject('proxy agent misconfigured');
    };
    const error = await createInvoker({ ...base, fetch: odd })('plan', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVOKE_FAILED', retryable: false });
    expect((error as Error).message).toBe(
      'calling function plan at http://127.0.0.1:9 failed: proxy agent misconfigured',
    );
    expect(calls).toBe(1);
  });
});

describe('InvokeError', () => {
  it('is an AtolyeError whose JSON form is the wire error shape', () => {
    const error = new InvokeError('plan', {
      code: 'QUEUE_FULL',
      message: 'function plan failed: boom',
      retryable: true,
      status: 429,
      retryAfterMs: 2_000,
    });
    expect(error).toBeInstanceOf(AtolyeError);
    expect(error.name).toBe('InvokeError');
    expect(error.message).toBe('function plan failed: boom');
    expect(error.toJSON()).toEqual({
      code: 'QUEUE_FULL',
      message: error.message,
      retryable: true,
    });
    expect(error).toMatchObject({ status: 429, retryAfterMs: 2_000, functionName: 'plan' });
  });
});
