import {
  cutNote,
  describeText,
  heldCallView,
  SHOWN_CHARS,
  SHOWN_LINES,
  waitSpan,
} from '../../../src/dashboard/ui/held-call.js';
import { ApiError, messageOf } from '../../../src/dashboard/ui/api.js';
import { apiFailure } from '../../../src/client/run-api.js';

// A held call as the run page shows it: what it would run or touch first, long texts folded and
// cut; and the refusals an answer can meet, in a person's words.

const REASON = 'every tool call waits for approval (approval "always")';

test('a command is shown as the command; nothing else is left over', () => {
  expect(
    heldCallView({
      id: 'c1',
      name: 'run_command',
      args: { command: 'rm -rf build' },
      reason: REASON,
    }),
  ).toEqual({
    id: 'c1',
    tool: 'run_command',
    target: { kind: 'command', text: 'rm -rf build' },
    texts: [],
    rest: null,
    reason: REASON,
  });
});

test("a write's path leads; its content is folded, cut at the first lines", () => {
  const content = Array.from({ length: 100 }, (_, index) => `row ${index}`).join('\n');
  const view = heldCallView({
    id: 'c2',
    name: 'write_file',
    args: { path: 'src/a.ts', content, mode: 0o644 },
    reason: REASON,
  });
  expect(view.target).toEqual({ kind: 'path', text: 'src/a.ts' });
  expect(view.rest).toBe(JSON.stringify({ mode: 0o644 }, null, 2));
  const [text] = view.texts;
  expect(text).toMatchObject({ name: 'content', lines: 100, chars: content.length, cut: true });
  expect(text?.shown.split('\n')).toHaveLength(SHOWN_LINES);
  expect(describeText(text!)).toBe(`content — 100 lines, ${content.length} characters`);
  expect(cutNote(text!)).toMatch(/^Cut: the first 40 of 100 lines shown\. /);
});

test('one very long line is cut by characters, and says so', () => {
  const long = 'x'.repeat(SHOWN_CHARS * 2);
  const [text] = heldCallView({
    id: 'c3',
    name: 'edit_file',
    args: { path: 'a', oldText: 'a', newText: long },
    reason: REASON,
  }).texts.filter((each) => each.name === 'newText');
  expect(text).toMatchObject({ lines: 1, cut: true });
  expect(text?.shown).toHaveLength(SHOWN_CHARS);
  expect(cutNote(text!)).toMatch(/^Cut: the first 4,000 of 8,000 characters shown\. /);
});

test('a short text is whole; arguments that are not an object are shown as JSON', () => {
  const [text] = heldCallView({
    id: 'c4',
    name: 'write_file',
    args: { path: 'a', content: 'one line' },
    reason: REASON,
  }).texts;
  expect(text).toMatchObject({ shown: 'one line', lines: 1, cut: false });
  expect(describeText(text!)).toBe('content — 1 line, 8 characters');
  expect(heldCallView({ id: 'c5', name: 'odd', args: ['x'], reason: REASON })).toMatchObject({
    target: null,
    texts: [],
    rest: '["x"]',
  });
  expect(heldCallView({ id: 'c6', name: 'odd', args: undefined, reason: REASON }).rest).toBeNull();
});

test('a wait is said in the unit a person reads', () => {
  expect(waitSpan(90_000)).toBe('90 s');
  expect(waitSpan(1_800_000)).toBe('30 min');
  expect(waitSpan(86_400_000)).toBe('24 h');
  expect(waitSpan(5_400_000 * 2)).toBe('3 h');
  expect(waitSpan(9_000_000)).toBe('2.5 h');
});

/** The SDK's error for a refused request. */
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

test('an answer someone else gave first is said in words, also through the shared client code', () => {
  const refused = new SdkHttpError(
    409,
    body(
      'THREAD_NOT_INTERRUPTED',
      'thread t is not paused: there is nothing to resume; send input.task',
    ),
  );
  const words = messageOf(refused);
  expect(words).toMatch(/^this thread no longer waits for an answer: someone else answered it/);
  // client/approval.ts wraps the SDK's error in an AtolyeError; the page still reads the cause.
  const hints = { client: 'dashboard', unreachable: '', unauthorized: '', seeRuns: () => '' };
  expect(messageOf(apiFailure({ url: 'http://x', hints }, refused))).toBe(words);
});

test('a weaker approval than the server allows names both and the way out', () => {
  const refusal = new ApiError(
    400,
    'RUN_INVALID',
    `config.configurable.approval "never" is weaker than this server's agent.approval "risky"; a run may only ask for more approval`,
  );
  expect(messageOf(refusal)).toBe(
    'this server holds tool calls for approval "risky" at least, and a run may ask for more approval, never less than that ("never" is less). Choose "risky" or a stricter setting under Approval.',
  );
  expect(messageOf(new ApiError(409, 'THREAD_INTERRUPTED', 'thread t waits'))).toMatch(
    /^this thread waits for an answer first/,
  );
});
