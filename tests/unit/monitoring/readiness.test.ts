import { AtolyeError } from '../../../src/errors.js';
import {
  failedChecks,
  parseReadiness,
  renderReadiness,
  worstStatus,
  type ReadinessDocument,
} from '../../../src/monitoring/readiness.js';

// The one readiness document: what both services render and what every client parses back.

const AT = new Date('2026-05-04T10:00:00.000Z');

function parseError(body: unknown, source?: string): AtolyeError {
  try {
    parseReadiness(body, source);
  } catch (error) {
    if (error instanceof AtolyeError) return error;
    throw error;
  }
  throw new Error(`parsed: ${JSON.stringify(body)}`);
}

describe('renderReadiness', () => {
  test('one entry per check, in order, with its component, its own fields and one time', () => {
    const answer = renderReadiness(
      {
        'host:accepting': { componentId: 'gateway', status: 'pass' },
        'disk:free': { status: 'pass', observedValue: 2048, observedUnit: 'MiB' },
        'model:configured': { status: 'warn', output: 'no model key' },
        'function:echo': {
          componentId: 'echo',
          componentType: 'function',
          status: 'pass',
          observedValue: 1,
          observedUnit: 'workers',
        },
        store: { status: 'pass' },
      },
      AT,
    );
    expect(answer.httpStatus).toBe(200);
    expect(answer.headers).toEqual({
      'content-type': 'application/health+json',
      'cache-control': 'no-store',
    });
    const time = AT.toISOString();
    expect(JSON.parse(answer.body)).toEqual({
      status: 'warn',
      checks: {
        'host:accepting': [
          { componentId: 'gateway', componentType: 'system', status: 'pass', time },
        ],
        'disk:free': [
          {
            componentId: 'disk',
            componentType: 'system',
            status: 'pass',
            observedValue: 2048,
            observedUnit: 'MiB',
            time,
          },
        ],
        'model:configured': [
          {
            componentId: 'model',
            componentType: 'system',
            status: 'warn',
            output: 'no model key',
            time,
          },
        ],
        'function:echo': [
          {
            componentId: 'echo',
            componentType: 'function',
            status: 'pass',
            observedValue: 1,
            observedUnit: 'workers',
            time,
          },
        ],
        // A name without a `component:` part is its own component.
        store: [{ componentId: 'store', componentType: 'system', status: 'pass', time }],
      },
    });
    expect(Object.keys(parseReadiness(answer.body).checks)).toEqual([
      'host:accepting',
      'disk:free',
      'model:configured',
      'function:echo',
      'store',
    ]);
  });

  test('a failing check makes it 503; no checks at all pass', () => {
    const failing = renderReadiness({
      'logs:writable': { status: 'fail', output: 'read-only' },
      'model:reachable': { status: 'warn' },
    });
    expect(failing.httpStatus).toBe(503);
    expect(parseReadiness(failing.body).status).toBe('fail');

    const empty = renderReadiness({}, AT);
    expect(empty.httpStatus).toBe(200);
    expect(JSON.parse(empty.body)).toEqual({ status: 'pass', checks: {} });
  });

  test('what it renders parses back to the same document', () => {
    const answer = renderReadiness(
      { 'sandbox:available': { status: 'fail', output: 'no bwrap' } },
      AT,
    );
    expect(parseReadiness(answer.body)).toEqual(JSON.parse(answer.body));
  });
});

describe('parseReadiness', () => {
  test('takes the text or the parsed JSON; entries need only a status; other fields stay', () => {
    const document = {
      status: 'fail',
      version: '1',
      checks: {
        'checkpointer:latency': [{ status: 'pass', observedValue: 12, observedUnit: 'ms' }],
        'host:reachable': [{ status: 'fail', output: 'refused', affectedEndpoints: ['/runs'] }],
        'empty:check': [],
      },
    };
    const expected: ReadinessDocument = document as ReadinessDocument;
    expect(parseReadiness(document)).toEqual(expected);
    expect(parseReadiness(JSON.stringify(document))).toEqual(expected);
  });

  test.each<[string, unknown, RegExp]>([
    [
      'an HTML page',
      '<html><body>404 Not Found</body></html>',
      /is not JSON: "<html><body>404 Not Found<\/body><\/html>"; /,
    ],
    ['an empty body', '', /is not JSON: \(an empty body\); /],
    ['null', null, /the body: /],
    ['an array', [], /the body: /],
    ['a run API error', { error: { code: 'NOT_FOUND' } }, /status: .*; checks: /],
    ['no checks', { status: 'pass' }, /checks: /],
    ['another status word', { status: 'ok', checks: {} }, /status: .*"pass"/],
    ['checks as a list', { status: 'pass', checks: [] }, /checks: /],
    [
      'a check that is not a list',
      { status: 'pass', checks: { 'disk:free': {} } },
      /checks\["disk:free"\]: /,
    ],
    [
      'an entry without a status',
      { status: 'pass', checks: { 'disk:free': [{ output: 'x' }] } },
      /checks\["disk:free"\]\[0\]\.status: /,
    ],
    [
      'an entry with another status word',
      { status: 'pass', checks: { store: [{ status: 'up' }] } },
      /checks\.store\[0\]\.status: /,
    ],
    [
      'an observed value that is not a number',
      { status: 'pass', checks: { store: [{ status: 'pass', observedValue: '12' }] } },
      /checks\.store\[0\]\.observedValue: /,
    ],
    [
      'an output that is not text',
      { status: 'pass', checks: { store: [{ status: 'fail', output: 500 }] } },
      /checks\.store\[0\]\.output: /,
    ],
  ])('refuses %s with READINESS_INVALID, naming what is wrong', (_name, body, problem) => {
    const error = parseError(body, 'http://127.0.0.1:8787/readyz');
    expect(error.code).toBe('READINESS_INVALID');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /^http:\/\/127\.0\.0\.1:8787\/readyz is not a readiness document \(\{"status": "pass"\|"warn"\|"fail", "checks"/,
    );
    expect(error.message).toMatch(problem);
    expect(error.message).toMatch(/is the URL that of an atolye worker host or orchestrator\?$/);
  });

  test('names at most five problems and counts the rest', () => {
    const checks = Object.fromEntries(
      Array.from({ length: 7 }, (_, index) => [`c:${index}`, [{ status: 'bad' }]]),
    );
    const { message } = parseError({ status: 'pass', checks });
    expect(message).toMatch(/^the \/readyz answer is not a readiness document/);
    expect(message.match(/\]\.status: /g)).toHaveLength(5);
    expect(message).toContain('; and 2 more;');
  });

  test('cuts a long body that is not JSON', () => {
    const { message } = parseError(`Error: ${'x'.repeat(500)}`);
    expect(message).toContain(`"Error: ${'x'.repeat(113)}…"`);
    expect(message).not.toContain('x'.repeat(114));
  });
});

test('failedChecks names each failing check with its output', () => {
  const document = parseReadiness({
    status: 'fail',
    checks: {
      'logs:writable': [{ status: 'fail', output: 'read-only' }],
      'disk:free': [{ status: 'warn', output: 'low' }],
      'function:broken': [{ status: 'fail' }],
    },
  });
  expect(failedChecks(document)).toBe('logs:writable (read-only); function:broken');
  expect(failedChecks(parseReadiness({ status: 'warn', checks: {} }))).toBe(
    'status warn, no check fails',
  );
});

test('worstStatus: any fail fails, else any warn warns, else pass', () => {
  expect(worstStatus([])).toBe('pass');
  expect(worstStatus(['pass', 'warn', 'pass'])).toBe('warn');
  expect(worstStatus(['warn', 'fail', 'pass'])).toBe('fail');
});
