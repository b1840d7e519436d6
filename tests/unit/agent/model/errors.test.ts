import vm from 'node:vm';
import { classifyModelError } from '../../../../src/agent/model/index.js';
import { AtolyeError } from '../../../../src/errors.js';

/** An error made in another realm, as jest's VM contexts and workers hand them over. */
function foreign(fields: Record<string, unknown>, message = 'boom'): unknown {
  const error = vm.runInNewContext(`new Error(${JSON.stringify(message)})`) as Error;
  return Object.assign(error, fields);
}

describe('classifyModelError', () => {
  it.each([
    ['a 401', { status: 401 }, 'MODEL_KEY_REJECTED', false],
    ['a 403', { status: 403 }, 'MODEL_KEY_REJECTED', false],
    ['a 429', { status: 429 }, 'MODEL_RATE_LIMITED', true],
    ['a 408', { status: 408 }, 'MODEL_TIMEOUT', true],
    ['a 503', { status: 503 }, 'MODEL_ERROR', true],
    ['a 400', { status: 400 }, 'MODEL_ERROR', false],
    ['ECONNREFUSED', { code: 'ECONNREFUSED' }, 'MODEL_UNREACHABLE', true],
    ['ENOTFOUND', { code: 'ENOTFOUND' }, 'MODEL_UNREACHABLE', true],
    ['an openai connection error', { name: 'APIConnectionError' }, 'MODEL_UNREACHABLE', true],
    ['an openai timeout', { name: 'APIConnectionTimeoutError' }, 'MODEL_TIMEOUT', true],
    ['an abort timeout', { name: 'TimeoutError' }, 'MODEL_TIMEOUT', true],
    ['a JSON syntax error', { name: 'SyntaxError' }, 'MODEL_BAD_REPLY', false],
  ])('classifies %s from another realm', (_label, fields, code, retryable) => {
    const error = foreign(fields);

    expect(error instanceof Error).toBe(false);
    expect(classifyModelError(error)).toMatchObject({ code, retryable });
  });

  it('finds a connection refusal in the cause chain ("fetch failed")', () => {
    const error = foreign(
      { cause: foreign({ code: 'ECONNREFUSED' }, 'connect ECONNREFUSED') },
      'fetch failed',
    );

    const classified = classifyModelError(error);

    expect(classified).toMatchObject({ code: 'MODEL_UNREACHABLE', retryable: true });
    expect(classified.message).toContain('OPENAI_BASE_URL');
    expect(classified.cause).toBe(error);
  });

  it('recognises a reply of an unexpected shape by its message', () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'message')");

    expect(classifyModelError(error).code).toBe('MODEL_BAD_REPLY');
  });

  it('keeps an HTTP error that mentions JSON a server error, not a bad reply', () => {
    expect(classifyModelError(foreign({ status: 400 }, 'could not parse the JSON body')).code).toBe(
      'MODEL_ERROR',
    );
  });

  it('says which key to check when the key is rejected', () => {
    const classified = classifyModelError(foreign({ status: 401 }, '401 Incorrect API key'));

    expect(classified.message).toMatch(/OPENAI_API_KEY.*Incorrect API key/);
  });

  it('falls back to MODEL_ERROR for anything else, even a thrown string', () => {
    expect(classifyModelError('weird')).toMatchObject({ code: 'MODEL_ERROR', retryable: false });
    expect(classifyModelError(new Error('something else'))).toMatchObject({ code: 'MODEL_ERROR' });
  });

  it('passes an AtolyeError through unchanged', () => {
    const error = new AtolyeError('MODEL_KEY_MISSING', 'no key');

    expect(classifyModelError(error)).toBe(error);
  });
});
