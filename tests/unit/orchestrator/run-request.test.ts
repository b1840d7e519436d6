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
  expect(request).toEqual({
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
  expect(request.control).toEqual({
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
  expect(request).toEqual({
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
  expect(request.control).toEqual({ continue: true });
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
  ).toEqual({
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
