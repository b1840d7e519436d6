import { MAX_JSON_DEPTH } from '../../../../src/json-depth.js';
import { parseCallBody } from '../../../../src/runtime/host/call-body.js';
import { HttpError } from '../../../../src/runtime/host/http.js';

const parse = (value: unknown) =>
  parseCallBody(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
function problemOf(value: unknown, code = 'INVALID_REQUEST'): string {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof HttpError) {
      expect(error).toMatchObject({ status: 400, code, retryable: false });
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
  expect(problemOf('{nope', 'BODY_INVALID_JSON')).toContain('(body): not JSON');
  expect(problemOf([1, 2], 'BODY_INVALID_JSON')).toContain('must be a JSON object');
  expect(problemOf('null', 'BODY_INVALID_JSON')).toContain('must be a JSON object');
  expect(problemOf({ input: 1, meta: [] })).toContain('meta: must be an object');
  expect(problemOf({ input: 1, meta: { invocationId: 'x'.repeat(201) } })).toContain(
    'meta.invocationId',
  );
});

test('refuses an input nested deeper than the limit with its own code, before anything else sees it', () => {
  const nested = (levels: number) =>
    `{"input":${'['.repeat(levels)}${']'.repeat(levels)},"meta":{"step":"act"}}`;
  expect(parse(nested(MAX_JSON_DEPTH)).input).toHaveLength(1);
  for (const levels of [MAX_JSON_DEPTH + 1, 5_000, 1_000_000]) {
    let thrown: unknown;
    try {
      parse(nested(levels));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    expect(thrown).toMatchObject({
      status: 400,
      code: 'INPUT_TOO_DEEP',
      retryable: false,
      message: expect.stringContaining(`deeper than ${MAX_JSON_DEPTH} levels`),
    });
  }
  // Only the input is forwarded to a worker; the rest of the body is checked field by field.
  expect(problemOf({ input: 1, meta: { step: [[['x']]] } })).toContain(
    'meta.step: must be a string',
  );
});
