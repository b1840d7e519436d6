import { parseCallBody } from '../../../../src/runtime/host/call-body.js';
import { HttpError } from '../../../../src/runtime/host/http.js';

const parse = (value: unknown) =>
  parseCallBody(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
function problemOf(value: unknown): string {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof HttpError) {
      expect(error).toMatchObject({ status: 400, code: 'REQUEST_INVALID', retryable: false });
      return error.message;
    }
    throw error;
  }
  throw new Error('expected a 400');
}

test('reads input and the known meta fields', () => {
  const meta = {
    invocationId: 'inv-1',
    requestId: 'r',
    threadId: 't',
    runId: 'u',
    step: 'plan',
    attempt: 2,
  };
  expect(parse({ input: { a: 1 }, meta })).toEqual({ input: { a: 1 }, meta });
  expect(parse({ input: null })).toEqual({ input: null, meta: {} });
  expect(parse({ input: 'x', meta: { threadId: null } })).toEqual({ input: 'x', meta: {} });
});

test('names every bad field in one message', () => {
  const message = problemOf({ inputs: 1, meta: { attempt: 1.5, step: '', runId: 7, extra: true } });
  expect(message).toContain('inputs: unknown field');
  expect(message).toContain('input: required');
  expect(message).toContain('meta.attempt: must be an integer');
  expect(message).toContain('meta.step: must be a string');
  expect(message).toContain('meta.runId: must be a string');
  expect(message).toContain('meta.extra: unknown field');
});

test('refuses bodies that are not a JSON object, and a meta that is not one', () => {
  expect(problemOf('{nope')).toContain('(body): not JSON');
  expect(problemOf([1, 2])).toContain('must be a JSON object');
  expect(problemOf('null')).toContain('must be a JSON object');
  expect(problemOf({ input: 1, meta: [] })).toContain('meta: must be an object');
  expect(problemOf({ input: 1, meta: { invocationId: 'x'.repeat(201) } })).toContain(
    'meta.invocationId',
  );
});
