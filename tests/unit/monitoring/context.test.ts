import {
  contextOfRecord,
  errorOfRecord,
  splitContext,
  TAG_KEYS,
} from '../../../src/monitoring/context.js';

describe('splitContext', () => {
  it('turns the invocation fields into string tags and everything else into extra data', () => {
    const { tags, extra } = splitContext({
      function: 'agent-step',
      step: 'plan',
      runId: 42,
      threadId: 'thread-1',
      requestId: 'req-1',
      invocationId: 'inv-1',
      retrying: true,
      payload: { size: 3 },
    });
    expect(tags).toEqual({
      function: 'agent-step',
      step: 'plan',
      runId: '42',
      threadId: 'thread-1',
      requestId: 'req-1',
      invocationId: 'inv-1',
    });
    expect(extra).toEqual({ retrying: true, payload: { size: 3 } });
  });

  it('drops empty values and keeps a non-primitive tag field as extra data', () => {
    const { tags, extra } = splitContext({
      step: undefined,
      runId: null,
      threadId: '',
      requestId: { id: 1 },
    });
    expect(tags).toEqual({});
    expect(extra).toEqual({ requestId: { id: 1 } });
  });

  it('cuts tag values to the 200 characters Sentry accepts', () => {
    expect(splitContext({ step: 'x'.repeat(500) }).tags.step).toHaveLength(200);
  });

  it('is empty without a context', () => {
    expect(splitContext()).toEqual({ tags: {}, extra: {} });
  });

  it('names the tags the design asks for', () => {
    expect(TAG_KEYS).toEqual(expect.arrayContaining(['function', 'step', 'runId', 'threadId']));
  });
});

describe('contextOfRecord', () => {
  it('keeps the request context and metadata of a log record, not its envelope or error', () => {
    const context = contextOfRecord({
      ts: '2026-01-01T00:00:00Z',
      level: 'error',
      channel: 'errors',
      msg: 'failed',
      service: 'host',
      env: 'testing',
      release: '1.0.0',
      err: new Error('x'),
      stack: 'Error: x',
      requestId: 'req-1',
      step: 'plan',
      attempt: 2,
    });
    expect(context).toEqual({ requestId: 'req-1', step: 'plan', attempt: 2 });
  });
});

describe('errorOfRecord', () => {
  it('returns the Error a record carries', () => {
    const error = new Error('boom');
    expect(errorOfRecord({ msg: 'failed', err: error })).toBe(error);
    expect(errorOfRecord({ msg: 'failed', error })).toBe(error);
  });

  it('rebuilds a serialized error with its name, message and stack', () => {
    const rebuilt = errorOfRecord({
      msg: 'failed',
      error: {
        name: 'ToolError',
        message: 'tool broke',
        stack: 'ToolError: tool broke\n    at run (a.ts:1:1)',
      },
    });
    expect(rebuilt).toBeInstanceOf(Error);
    expect(rebuilt).toMatchObject({ name: 'ToolError', message: 'tool broke' });
    expect((rebuilt as Error).stack).toContain('a.ts:1:1');
  });

  it('keeps an Error name when a serialized error has none', () => {
    expect(errorOfRecord({ err: { message: 'bare' } })).toMatchObject({
      name: 'Error',
      message: 'bare',
    });
  });

  it('uses the message and a stack logged beside it', () => {
    const rebuilt = errorOfRecord({
      message: 'request failed',
      stack: 'Error: request failed\n    at x (b.ts:2:2)',
    });
    expect(rebuilt).toMatchObject({ message: 'request failed' });
    expect((rebuilt as Error).stack).toContain('b.ts:2:2');
  });

  it('falls back to the message text, or says that none was logged', () => {
    expect(errorOfRecord({ msg: 'just words', err: 'not an error' })).toBe('just words');
    expect(errorOfRecord({ level: 'error' })).toBe('error logged without a message');
  });
});
