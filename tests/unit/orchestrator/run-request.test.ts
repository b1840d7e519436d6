import { BUILT_IN_ASSISTANT } from '../../../src/orchestrator/api/assistant-catalog.js';
import { runRequest, type RunContext } from '../../../src/orchestrator/api/run-request.js';
import type { RunCreate } from '../../../src/orchestrator/api/schemas.js';
import type { ThreadState } from '../../../src/orchestrator/executor.js';
import type { RunRecord } from '../../../src/orchestrator/runs-store.js';

const held = {
  tool_calls: [{ id: 'call-1', name: 'run_command', args: { command: 'rm -rf x' }, reason: 'r' }],
  reason: 'r',
};

function state(next: string[], interrupts: unknown[] = []): ThreadState {
  return {
    values: { task: 'the first task' },
    next,
    checkpointId: 'c1',
    parentCheckpointId: null,
    createdAt: null,
    metadata: {},
    tasks: next.map((name) => ({
      id: name,
      name,
      interrupts: interrupts.map((value) => ({ value })),
    })),
  };
}

function last(stopReason: string, approval?: 'risky' | 'always'): RunRecord {
  return {
    status: 'interrupted',
    stopReason,
    control: approval ? { approval } : {},
  } as RunRecord;
}

const base: RunContext = {
  state: undefined,
  assistant: BUILT_IN_ASSISTANT,
  configured: 'never',
  last: undefined,
};
const body = (fields: Partial<RunCreate>): RunCreate =>
  ({ assistant_id: 'atolye', ...fields }) as RunCreate;

test('a new task carries its approval, limits, model and breakpoints', () => {
  const request = runRequest(
    't',
    body({
      input: { task: 'do it' },
      config: { configurable: { approval: 'risky', max_iterations: 3, model: 'm' } },
      interrupt_before: '*',
      interrupt_after: [],
    }),
    base,
  );
  expect(request).toStrictEqual({
    task: 'do it',
    control: {
      approval: 'risky',
      model: 'm',
      limits: { maxIterations: 3 },
      interruptBefore: ['plan', 'act', 'tools', 'review', 'finalize'],
    },
  });
});

test('a variant’s settings come first; the run’s own go on top', () => {
  const assistant = {
    ...BUILT_IN_ASSISTANT,
    assistantId: 'v1',
    configurable: { max_tokens: 0, max_cost_usd: 2, model: 'a' },
  };
  const request = runRequest(
    't',
    body({ input: { task: 'x' }, config: { configurable: { model: 'b' } } }),
    {
      ...base,
      assistant,
    },
  );
  expect(request.control).toStrictEqual({
    model: 'b',
    limits: { maxTokens: 0, maxCostUsd: 2 },
    assistantId: 'v1',
  });
});

test('an answer goes on under the paused run’s policy, with the thread’s task', () => {
  const request = runRequest('t', body({ command: { resume: { approved: true } } }), {
    ...base,
    state: state(['tools'], [held]),
    last: last('approval', 'always'),
  });
  expect(request).toStrictEqual({
    task: 'the first task',
    control: { approval: 'always', resume: { approved: true } },
  });
});

test('input null continues a thread paused at a breakpoint', () => {
  const request = runRequest('t', body({ input: null }), {
    ...base,
    state: state(['review']),
    last: last('interrupt_before'),
  });
  expect(request.control).toStrictEqual({ continue: true });
});

test.each<[string, Partial<RunCreate>, Partial<RunContext>, RegExp]>([
  [
    'weaker approval',
    { input: { task: 'x' }, config: { configurable: { approval: 'never' } } },
    { configured: 'risky' },
    /weaker than this server's agent\.approval "risky"/,
  ],
  [
    'input and command',
    { input: { task: 'x' }, command: { resume: { approved: true } } },
    {},
    /either input or command/,
  ],
  [
    'nothing to resume',
    { command: { resume: { approved: true } } },
    {},
    /is not paused: there is nothing to resume/,
  ],
  ['nothing to continue', { input: null }, {}, /input\.task is required/],
  [
    'continue past a pause for approval',
    { input: null },
    { state: state(['tools'], [held]), last: last('approval') },
    /waits for approval of 1 tool call/,
  ],
  [
    'a new task while waiting for approval',
    { input: { task: 'x' } },
    { state: state(['tools'], [held]), last: last('approval') },
    /answer with command\.resume before a new task/,
  ],
  [
    'a new task at a breakpoint',
    { input: { task: 'x' } },
    { state: state(['review']), last: last('interrupt_before') },
    /paused before review; continue it with input null/,
  ],
])('refuses %s', (_name, fields, context, message) => {
  expect(() => runRequest('t', body(fields), { ...base, ...context })).toThrow(message);
});

test('a cancelled or timed-out run leaves nothing paused: a new task starts over', () => {
  const cut = { ...last('cancelled'), status: 'interrupted' } as RunRecord;
  expect(
    runRequest('t', body({ input: { task: 'again' } }), {
      ...base,
      state: state(['act']),
      last: cut,
    }).task,
  ).toBe('again');
});

test('an answer goes on with the paused run’s assistant, model and limits unless it sets them', () => {
  const paused = {
    ...last('approval', 'always'),
    control: { approval: 'always', model: 'm1', limits: { maxIterations: 4 }, assistantId: 'v1' },
  } as RunRecord;
  const context = { ...base, state: state(['tools'], [held]), last: paused };
  expect(
    runRequest('t', body({ command: { resume: { approved: true } } }), context).control,
  ).toStrictEqual({
    approval: 'always',
    model: 'm1',
    limits: { maxIterations: 4 },
    assistantId: 'v1',
    resume: { approved: true },
  });
  const changed = runRequest(
    't',
    body({ command: { resume: { approved: true } }, config: { configurable: { model: 'm2' } } }),
    context,
  );
  expect(changed.control.model).toBe('m2');
});

describe('what carries over from the thread’s last run', () => {
  const finished = {
    status: 'success',
    stopReason: null,
    control: {
      approval: 'always',
      model: 'm1',
      limits: { maxTokens: 50, maxCostUsd: 1.5 },
      assistantId: 'v1',
    },
  } as unknown as RunRecord;

  test('a new task starts with none of the last run’s settings', () => {
    const request = runRequest('t', body({ input: { task: 'next' } }), {
      ...base,
      state: state([]),
      last: finished,
    });
    expect(request).toStrictEqual({ task: 'next', control: {} });
  });

  test('input null goes on with the paused run’s model, limits and assistant', () => {
    const paused = { ...finished, status: 'interrupted', stopReason: 'interrupt_after' };
    const request = runRequest('t', body({ input: null }), {
      ...base,
      state: state(['review']),
      last: paused as RunRecord,
    });
    expect(request).toStrictEqual({
      task: 'the first task',
      control: {
        approval: 'always',
        model: 'm1',
        limits: { maxTokens: 50, maxCostUsd: 1.5 },
        assistantId: 'v1',
        continue: true,
      },
    });
  });

  test('an answer on a thread whose task is not recorded goes on with an empty task', () => {
    const bare = { ...state(['tools'], [held]), values: {} };
    const request = runRequest('t', body({ command: { resume: { approved: true } } }), {
      ...base,
      state: bare,
      last: last('approval'),
    });
    expect(request).toStrictEqual({ task: '', control: { resume: { approved: true } } });
  });
});

describe('edits in an answer', () => {
  const answer = (edits: Record<string, unknown>): Partial<RunCreate> => ({
    command: { resume: { approved: true, edits } },
  });

  test('may change the held calls', () => {
    const resume = { approved: true, edits: { 'call-1': { command: 'ls' } } };
    const request = runRequest('t', body({ command: { resume } }), {
      ...base,
      state: state(['tools'], [held]),
      last: last('approval'),
    });
    expect(request.control).toStrictEqual({ resume });
  });

  test('naming a call that is not held is refused with the calls that are', () => {
    const context = { ...base, state: state(['tools'], [held]), last: last('approval') };
    expect(() => runRequest('t', body(answer({ 'call-9': {}, 'call-8': {} })), context)).toThrow(
      'command.resume.edits names no held call: call-9, call-8; the held calls are call-1',
    );
  });

  test('at a breakpoint, where no call is held, any edit is refused', () => {
    const context = { ...base, state: state(['review']), last: last('interrupt_before') };
    expect(() => runRequest('t', body(answer({ 'call-1': {} })), context)).toThrow(
      'command.resume.edits names no held call: call-1; the held calls are none',
    );
  });
});

describe('breakpoints', () => {
  test('interrupt_after lists the steps to pause after; "*" names them all', () => {
    const after = runRequest(
      't',
      body({ input: { task: 'x' }, interrupt_after: ['review'] }),
      base,
    );
    expect(after.control).toStrictEqual({ interruptAfter: ['review'] });
    const all = runRequest('t', body({ input: { task: 'x' }, interrupt_after: '*' }), base);
    expect(all.control).toStrictEqual({
      interruptAfter: ['plan', 'act', 'tools', 'review', 'finalize'],
    });
  });

  test('empty lists set no breakpoint', () => {
    const request = runRequest(
      't',
      body({ input: { task: 'x' }, interrupt_before: [], interrupt_after: [] }),
      base,
    );
    expect(request.control).toStrictEqual({});
  });

  test('a thread paused before several steps names them all', () => {
    const context = { ...base, state: state(['act', 'tools']), last: last('interrupt_before') };
    expect(() => runRequest('t', body({ input: { task: 'x' } }), context)).toThrow(
      'thread t is paused before act, tools; continue it with input null before a new task',
    );
  });
});

describe('a fork from a checkpoint', () => {
  const at = (next: string[], pendingToolCalls: unknown[] = []): Partial<RunContext> => ({
    fork: 'cp-7',
    state: { ...state(next), values: { task: 'the first task', pendingToolCalls } } as ThreadState,
    // The thread's last run finished: a fork goes by its checkpoint, not by that run.
    last: { status: 'success', stopReason: null, control: {} } as unknown as RunRecord,
  });

  test('may start a new task from a checkpoint with steps to take', () => {
    const request = runRequest('t', body({ input: { task: 'other' } }), {
      ...base,
      ...at(['act']),
    });
    expect(request).toStrictEqual({ task: 'other', control: { checkpointId: 'cp-7' } });
  });

  test('goes on from its checkpoint with input null', () => {
    const request = runRequest('t', body({ input: null }), { ...base, ...at(['act']) });
    expect(request.control).toStrictEqual({ checkpointId: 'cp-7', continue: true });
  });

  test('from a checkpoint about to run tool calls takes input null, not a new task', () => {
    const context = { ...base, ...at(['tools'], [{ id: 'c', name: 'read_file', args: {} }]) };
    expect(() => runRequest('t', body({ input: { task: 'x' } }), context)).toThrow(
      'checkpoint cp-7 is about to run tool calls: fork from it with input null (or command.resume), or from an earlier checkpoint for a new task',
    );
    expect(runRequest('t', body({ input: null }), context).control).toStrictEqual({
      checkpointId: 'cp-7',
      continue: true,
    });
  });

  test('from the last checkpoint, with nothing left to run, has nothing to continue', () => {
    const context = { ...base, ...at([]) };
    expect(() => runRequest('t', body({ input: null }), context)).toThrow(
      'input.task is required: the thread is not paused, so there is nothing to continue',
    );
    expect(runRequest('t', body({ input: { task: 'x' } }), context).task).toBe('x');
  });
});

describe('a thread a person updated', () => {
  const updated = (next: string[]): Partial<RunContext> => ({
    state: { ...state(next), metadata: { source: 'update' } },
    last: { status: 'success', stopReason: null, control: {} } as unknown as RunRecord,
  });

  test('with steps left to take is paused: input null goes on, a new task is refused', () => {
    const context = { ...base, ...updated(['act']) };
    expect(runRequest('t', body({ input: null }), context).control).toStrictEqual({
      continue: true,
    });
    expect(() => runRequest('t', body({ input: { task: 'x' } }), context)).toThrow(
      'thread t is paused before act',
    );
  });

  test('with nothing left to take is not paused', () => {
    const context = { ...base, ...updated([]) };
    expect(runRequest('t', body({ input: { task: 'x' } }), context).task).toBe('x');
  });
});
