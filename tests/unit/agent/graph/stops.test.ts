import { addUsage, unionOf, type AgentStateValue } from '../../../../src/agent/graph/state.js';
import { checkStops, toolFingerprint } from '../../../../src/agent/graph/stops.js';
import { retryDelayMs, stepRetryPolicy, toRunError } from '../../../../src/agent/graph/retry.js';
import { StoredMessageJson } from '../../../../src/agent/graph/steps.js';
import { AtolyeError, isRetryable } from '../../../../src/errors.js';

const ok = (content: string) => [{ id: 'x', name: 'read_file', ok: true, content }];

describe('toolFingerprint', () => {
  it('ignores call ids, argument key order and the string form of arguments', () => {
    const a = toolFingerprint(
      [{ id: '1', name: 'read_file', args: { path: 'a', limit: 2 } }],
      ok('x'),
    );
    const b = toolFingerprint(
      [{ id: '2', name: 'read_file', args: '{"limit":2,"path":"a"}' }],
      ok('x'),
    );
    expect(a).toBe(b);
  });

  it('differs when the arguments or the result differ', () => {
    const base = toolFingerprint([{ id: '1', name: 'read_file', args: { path: 'a' } }], ok('x'));
    expect(
      toolFingerprint([{ id: '1', name: 'read_file', args: { path: 'b' } }], ok('x')),
    ).not.toBe(base);
    expect(
      toolFingerprint([{ id: '1', name: 'read_file', args: { path: 'a' } }], ok('y')),
    ).not.toBe(base);
    expect(toolFingerprint([{ id: '1', name: 'read_file', args: 'not json' }], ok('x'))).not.toBe(
      base,
    );
  });
});

describe('toolFingerprint: what counts as the same outcome', () => {
  const call = (args: unknown) => [{ id: '1', name: 'run_command', args }];

  it('tells results apart by their error code', () => {
    const failed = (code: string) => [
      { id: 'x', name: 'read_file', ok: false, content: 'no', code },
    ];
    expect(toolFingerprint(call({}), failed('PATH_NOT_FOUND'))).not.toBe(
      toolFingerprint(call({}), failed('FS_ERROR')),
    );
  });

  it('tells argument values apart, numbers and nested ones included', () => {
    const print = (args: unknown) => toolFingerprint(call(args), ok('x'));
    expect(print({ timeout: 1 })).not.toBe(print({ timeout: 2 }));
    expect(print({ opts: { deep: 1 } })).not.toBe(print({ opts: { deep: 2 } }));
    expect(print([1, 2])).not.toBe(print([2, 1]));
  });

  it('ignores the order of keys however many there are', () => {
    const print = (args: unknown) => toolFingerprint(call(args), ok('x'));
    const base = print({ a: 1, b: 2, c: 3, d: { x: 1, y: 2 } });
    expect(print({ d: { y: 2, x: 1 }, c: 3, b: 2, a: 1 })).toBe(base);
    expect(print({ c: 3, a: 1, d: { x: 1, y: 2 }, b: 2 })).toBe(base);
    expect(print({ b: 2, d: { y: 2, x: 1 }, a: 1, c: 3 })).toBe(base);
  });

  it('compares command outcomes without their timings', () => {
    let runs = 0;
    const ran = (stdout: string, exitCode = 0) => [
      {
        id: 'x',
        name: 'run_command',
        ok: exitCode === 0,
        // The observation text differs on each run (it carries the duration).
        content: `run ${++runs}`,
        outcome: { exitCode, timedOut: false, stdout, stderr: '' },
      },
    ];
    expect(toolFingerprint(call({}), ran('Ran 1 test in 0.003s'))).toBe(
      toolFingerprint(call({}), ran('Ran 1 test in 0.120s')),
    );
    expect(toolFingerprint(call({}), ran('ok', 0))).not.toBe(
      toolFingerprint(call({}), ran('ok', 1)),
    );
  });
});

describe('checkStops', () => {
  const state = (overrides: Partial<AgentStateValue>): AgentStateValue => ({
    task: 't',
    taskPlan: null,
    messages: [],
    condensed: null,
    contextTokens: 0,
    iteration: 0,
    pendingToolCalls: [],
    filesChanged: [],
    commandResults: [],
    usage: { steps: [], totals: { inputTokens: 0, outputTokens: 0, costUsd: 0 } },
    status: 'running',
    error: null,
    feedback: null,
    workspaceChanges: null,
    summary: null,
    workspaceCommit: null,
    toolFingerprints: [],
    ...overrides,
  });

  it('lets a run within its limits go on', () => {
    expect(
      checkStops(
        state({ iteration: 4, toolFingerprints: ['a', 'a', 'b'] }),
        { maxIterations: 5 },
        false,
      ),
    ).toBeNull();
  });

  it('stops when the tokens used reach the budget exactly', () => {
    const used = state({
      usage: { steps: [], totals: { inputTokens: 60, outputTokens: 40, costUsd: 0 } },
    });
    expect(checkStops(used, { maxIterations: 5, maxTokens: 100 }, false)).toMatchObject({
      status: 'budget_exceeded',
      error: { code: 'TOKEN_BUDGET_EXCEEDED' },
    });
    expect(checkStops(used, { maxIterations: 5, maxTokens: 101 }, false)).toBeNull();
  });

  it('puts cancellation before every other stop', () => {
    const stop = checkStops(state({ iteration: 9 }), { maxIterations: 5 }, true);
    expect(stop?.status).toBe('cancelled');
  });
});

describe('state reducers', () => {
  it('keeps changed files unique in first-seen order', () => {
    expect(unionOf(['b', 'a'], ['a', 'c', 'c'])).toEqual(['b', 'a', 'c']);
  });

  it('adds usage entries to the totals', () => {
    const usage = addUsage(
      { steps: [], totals: { inputTokens: 1, outputTokens: 1, costUsd: 0.5 } },
      [{ step: 'act', inputTokens: 2, outputTokens: 3, costUsd: 0.25 }],
    );
    expect(usage.totals).toEqual({ inputTokens: 3, outputTokens: 4, costUsd: 0.75 });
    expect(usage.steps).toHaveLength(1);
  });
});

describe('step retry policy', () => {
  it('gives a step its declared retries + 1 attempts, with the default backoff', () => {
    expect(stepRetryPolicy(0)).toMatchObject({
      maxAttempts: 1,
      initialInterval: 500,
      jitter: true,
    });
    expect(stepRetryPolicy(4, { initialInterval: 5, jitter: false })).toMatchObject({
      maxAttempts: 5,
      initialInterval: 5,
      backoffFactor: 2,
      maxInterval: 10_000,
      jitter: false,
      logWarning: false,
    });
    expect(() => stepRetryPolicy(-1)).toThrow(
      expect.objectContaining({ code: 'STEP_RETRIES_INVALID' }),
    );
    expect(() => stepRetryPolicy(1.5)).toThrow(/whole number/);
  });

  it('waits as LangGraph does: initialInterval doubling, at most maxInterval', () => {
    const policy = stepRetryPolicy(10, { initialInterval: 500, maxInterval: 3_000 });
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(policy, attempt))).toEqual([
      500, 1_000, 2_000, 3_000, 3_000,
    ]);
    expect(retryDelayMs({}, 2)).toBe(1_000);
  });

  it('retries only errors that say they are retryable', () => {
    const policy = stepRetryPolicy(4);
    expect(policy.maxAttempts).toBe(5);
    expect(policy.retryOn?.(new AtolyeError('MODEL_BAD_REPLY', 'x', { retryable: true }))).toBe(
      true,
    );
    expect(policy.retryOn?.(new AtolyeError('MODEL_BAD_REPLY', 'x'))).toBe(false);
    expect(isRetryable({ retryable: 'yes' })).toBe(false);
    expect(isRetryable(null)).toBe(false);
    expect(toRunError('act', 'text')).toEqual({
      code: 'STEP_FAILED',
      message: 'step act failed: text',
    });
  });
});

describe('StoredMessageJson', () => {
  it('restores the keys JSON drops, so the value is a StoredMessage again', () => {
    const parsed = StoredMessageJson.parse({ type: 'human', data: { content: 'hi' } });
    expect(parsed).toStrictEqual({
      type: 'human',
      data: { content: 'hi', role: undefined, name: undefined, tool_call_id: undefined },
    });
  });
});
