import { readFileSync } from 'node:fs';
import { resolveFromRoot } from '../../src/config/paths.js';
import { ERROR_CODES, isErrorCode, statusOfCode } from '../../src/error-codes/index.js';
import {
  ERROR_CODE_PARTS,
  ERROR_CODES_FILE,
  errorCodesMarkdown,
  FUNCTION_CALL_CODES,
  FUNCTION_CALLS_TITLE,
} from '../../src/error-codes/markdown.js';
import { ERROR_MEANINGS } from '../../src/error-codes/meanings.js';
import {
  AtolyeError,
  errorCodeOf,
  isAtolyeError,
  isRetryable,
  relayedCode,
} from '../../src/errors.js';

const codes = Object.keys(ERROR_CODES).filter(isErrorCode);
const STATUSES = [400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 502, 503, 504];
/** Statuses the invoke client never retries, whatever the body says (src/runtime/retry.ts). */
const NEVER_RETRIED = [400, 401, 403, 404, 405, 413, 422];

describe('the error catalogue', () => {
  test.each(codes)('%s: UPPER_SNAKE, a client or server status, a one-line meaning', (code) => {
    const entry = ERROR_CODES[code];
    expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    expect(STATUSES).toContain(entry.status);
    expect(ERROR_MEANINGS[code].trim()).not.toBe('');
    expect(ERROR_MEANINGS[code]).not.toMatch(/\n/);
    // A status the invoke client never retries cannot mean "try again".
    if (entry.retryable) expect(NEVER_RETRIED).not.toContain(entry.status);
  });

  test('every code has a meaning, and every meaning a code', () => {
    expect(Object.keys(ERROR_MEANINGS).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  test('every code belongs to exactly one part of the catalogue', () => {
    const listed = ERROR_CODE_PARTS.flatMap((part) => Object.keys(part.codes));
    expect(listed.length).toBe(new Set(listed).size);
    expect(new Set(listed)).toEqual(new Set(Object.keys(ERROR_CODES)));
  });

  test('a code outside the catalogue has no status of its own: it is a 500', () => {
    expect(isErrorCode('THREAD_NOT_FOUND')).toBe(true);
    expect(statusOfCode('THREAD_NOT_FOUND')).toBe(404);
    expect(isErrorCode('PLAN_REFUSED')).toBe(false);
    expect(statusOfCode('PLAN_REFUSED')).toBe(500);
    expect(isErrorCode('toString')).toBe(false);
  });

  test(`${ERROR_CODES_FILE} is what the catalogue generates (run \`npm run build\` when not)`, () => {
    expect(readFileSync(resolveFromRoot(ERROR_CODES_FILE), 'utf8')).toBe(errorCodesMarkdown());
  });

  test(`${ERROR_CODES_FILE} is already in prettier's form, so formatting never makes it stale`, async () => {
    const prettier = await import('prettier');
    const markdown = errorCodesMarkdown();
    const options = await prettier.resolveConfig(resolveFromRoot(ERROR_CODES_FILE));
    expect(await prettier.format(markdown, { ...options, parser: 'markdown' })).toBe(markdown);
  });

  test('the codes of a function call are every code its path answers with, each once', () => {
    // The call path: the gateway's body reading, the invoke route, the pool's failures, the worker.
    const sources = [
      'src/runtime/host/http.ts',
      'src/runtime/host/invoke-route.ts',
      'src/runtime/host/call-body.ts',
      'src/runtime/host/idempotency.ts',
      'src/runtime/host/failures.ts',
      'src/runtime/worker/serve.ts',
    ];
    const named = sources.flatMap((file) =>
      [...readFileSync(resolveFromRoot(file), 'utf8').matchAll(/'([A-Z][A-Z0-9_]+)'/g)]
        .map((match) => match[1] ?? '')
        .filter(isErrorCode),
    );
    expect(named.length).toBeGreaterThan(10);
    expect(new Set(FUNCTION_CALL_CODES).size).toBe(FUNCTION_CALL_CODES.length);
    expect([...new Set(named)].filter((code) => !FUNCTION_CALL_CODES.includes(code))).toEqual([]);
  });

  test("docs/api/functions_api.md links to the section of a function call's codes", () => {
    const anchor = FUNCTION_CALLS_TITLE.toLowerCase().replaceAll(' ', '-');
    expect(errorCodesMarkdown()).toContain(`\n## ${FUNCTION_CALLS_TITLE}\n`);
    expect(readFileSync(resolveFromRoot('docs/api/functions_api.md'), 'utf8')).toContain(
      `(errors.md#${anchor})`,
    );
  });

  test('the page lists every code with its status and retryability', () => {
    const page = errorCodesMarkdown();
    for (const code of codes) {
      const row = page.split('\n').find((line) => line.startsWith(`| \`${code}\` `));
      expect(row?.split('|').map((cell) => cell.trim())).toEqual([
        '',
        `\`${code}\``,
        String(ERROR_CODES[code].status),
        ERROR_CODES[code].retryable ? 'yes' : 'no',
        ERROR_MEANINGS[code],
        '',
      ]);
    }
  });
});

describe('AtolyeError', () => {
  test('takes its retryable from the catalogue unless the throw says otherwise', () => {
    expect(new AtolyeError('QUEUE_FULL', 'busy').retryable).toBe(true);
    expect(new AtolyeError('THREAD_NOT_FOUND', 'no thread').retryable).toBe(false);
    expect(new AtolyeError('QUEUE_FULL', 'busy', { retryable: false }).retryable).toBe(false);
    expect(new AtolyeError('STORE_UNAVAILABLE', 'down', { retryable: true }).retryable).toBe(true);
  });

  test('keeps a relayed code as it came; one outside the catalogue is not retryable unless said', () => {
    const relayed = new AtolyeError(relayedCode('PLAN_REFUSED'), 'the planner refuses');
    expect(relayed.toJSON()).toEqual({
      code: 'PLAN_REFUSED',
      message: 'the planner refuses',
      retryable: false,
    });
    expect(new AtolyeError(relayedCode('QUEUE_FULL'), 'busy').retryable).toBe(true);
  });
});

describe('reading an error by its shape', () => {
  test('errorCodeOf: a non-empty string code, from ours, Node’s or anything else', () => {
    expect(errorCodeOf(new AtolyeError('RUN_NOT_FOUND', 'x'))).toBe('RUN_NOT_FOUND');
    expect(errorCodeOf(Object.assign(new Error('gone'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errorCodeOf({ code: 'SQLITE_BUSY' })).toBe('SQLITE_BUSY');
    for (const shapeless of [{ code: '' }, { code: 42 }, new Error('plain'), null, 'text', 7]) {
      expect(errorCodeOf(shapeless)).toBeUndefined();
    }
  });

  test('isRetryable: only `retryable: true` says so', () => {
    expect(isRetryable(new AtolyeError('QUEUE_FULL', 'busy'))).toBe(true);
    expect(isRetryable({ retryable: true })).toBe(true);
    for (const not of [{ retryable: 'yes' }, { retryable: 1 }, new Error('x'), null, undefined]) {
      expect(isRetryable(not)).toBe(false);
    }
  });

  test("isAtolyeError: ours, and one of another module copy's that has the same shape", () => {
    expect(isAtolyeError(new AtolyeError('RUN_NOT_FOUND', 'x'))).toBe(true);
    expect(isAtolyeError({ name: 'AtolyeError', code: 'RUN_NOT_FOUND', message: 'x' })).toBe(true);
    expect(isAtolyeError({ name: 'AtolyeError', message: 'no code' })).toBe(false);
    expect(isAtolyeError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
  });
});
