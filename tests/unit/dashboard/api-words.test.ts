import { ApiError, messageOf, refusalOf } from '../../../src/dashboard/ui/api.js';

// What the dashboard says when the API refuses: the pages and commands a person uses, never the
// routes the API's messages point programs at.

/** The SDK's error for a refused request: "HTTP <status>: <body>", with both kept apart. */
class SdkHttpError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(`HTTP ${status}: ${text}`);
  }
}

const body = (code: string, message: string): string =>
  JSON.stringify({ error: { code, message } });

test("the SDK's HTTP error is read as the API's refusal, code and message", () => {
  const refusal = refusalOf(new SdkHttpError(409, body('THREAD_BUSY', 'a run is going on')));
  expect(refusal).toBeInstanceOf(ApiError);
  expect(refusal).toMatchObject({ status: 409, code: 'THREAD_BUSY', message: 'a run is going on' });
  expect(refusalOf(new SdkHttpError(502, 'Bad Gateway'))).toMatchObject({
    code: 'HTTP_ERROR',
    message: '502 Bad Gateway',
  });
  expect(refusalOf(new Error('offline'))).toBeUndefined();
});

test('a missing thread or run is said in the pages a person uses, not in API routes', () => {
  const thread = messageOf(
    new SdkHttpError(404, body('THREAD_NOT_FOUND', 'no thread t-1; create it with POST /threads')),
  );
  expect(thread).toBe(
    'there is no such thread, or it is not one this key may see. The Runs page lists your threads; New task starts one.',
  );
  expect(messageOf(new ApiError(404, 'RUN_NOT_FOUND', 'no run r-1 on thread t-1'))).toContain(
    'The Runs page lists the runs you can open.',
  );
});

test("any other message keeps its words and loses the API's route hints", () => {
  expect(messageOf(new ApiError(400, 'RUN_INVALID', 'the input has no task; see GET /docs'))).toBe(
    'the input has no task',
  );
  expect(
    messageOf(
      new ApiError(
        409,
        'SOMETHING',
        'thread t has a workspace already: import into a new thread (POST /threads)',
      ),
    ),
  ).toBe('thread t has a workspace already: import into a new thread');
  expect(messageOf(new ApiError(400, 'IMPORT_REFUSED', 'the archive holds "../evil.txt"'))).toBe(
    'the archive holds "../evil.txt"',
  );
  expect(messageOf(new Error('network down'))).toBe('network down');
});
