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
