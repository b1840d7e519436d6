import { mapStoredMessagesToChatMessages } from '@langchain/core/messages';
import {
  buildAgentGraph,
  stepIdempotencyKey,
  type StepFailure,
} from '../../../../src/agent/graph/graph.js';
import { relayedCode } from '../../../../src/errors.js';
import { InvokeError } from '../../../../src/runtime/invoke.js';
import {
  echoTools,
  finalizeReply,
  finishReply,
  planReply,
  reviewDone,
  scriptedSteps,
  toolCallReply,
  toolsReply,
  usage,
} from './fake-steps.js';

const config = (threadId = 'thread-1', runId = 'run-1') => ({
  configurable: { thread_id: threadId, run_id: runId },
});

const writeCall = { id: 'call-1', name: 'write_file' };

function happyScript() {
  return scriptedSteps({
    plan: [planReply()],
    act: [
      toolCallReply('call-1', 'write_file', { path: 'hello.txt', content: 'hi' }),
      finishReply(),
    ],
    tools: [
      toolsReply([writeCall], 'wrote hello.txt', {
        filesChanged: ['hello.txt', 'hello.txt'],
        commandResults: [
          {
            command: 'ls',
            exitCode: 0,
            stdout: 'hello.txt\n',
            stderr: '',
            timedOut: false,
            durationMs: 3,
          },
        ],
      }),
    ],
    review: [reviewDone],
    finalize: [finalizeReply],
  });
}

describe('agent graph', () => {
  it('runs plan → act → tools → act → review → finalize and keeps the state', async () => {
    const steps = happyScript();
    const graph = buildAgentGraph({ callStep: steps.callStep });

    const state = await graph.invoke({ task: 'write hello.txt' }, config());

    expect(steps.order()).toEqual(['plan', 'act', 'tools', 'act', 'review', 'finalize']);
    expect(state.status).toBe('success');
    expect(state.error).toBeNull();
    expect(state.taskPlan).toEqual({ steps: ['write hello.txt'], checks: ['cat hello.txt'] });
    expect(state.iteration).toBe(2);
    expect(state.filesChanged).toEqual(['hello.txt']);
    expect(state.commandResults).toHaveLength(1);
    expect(state.summary).toBe('Wrote hello.txt.');
    expect(state.messages.map((message) => message.type)).toEqual(['ai', 'tool', 'ai']);
    expect(state.usage.steps.map((entry) => entry.step)).toEqual([
      'plan',
      'act',
      'act',
      'review',
      'finalize',
    ]);
    expect(state.usage.totals.inputTokens).toBe(10 + 20 + 15 + 8 + 5);
    expect(state.usage.totals.outputTokens).toBe(5 + 20 + 5 + 2 + 5);
    expect(state.usage.totals.costUsd).toBeCloseTo(0.005);

    const toolsCall = steps.calls.find((call) => call.name === 'tools');
    expect(toolsCall?.input).toEqual({
      toolCalls: [{ id: 'call-1', name: 'write_file', args: { path: 'hello.txt', content: 'hi' } }],
    });
    const finalizeCall = steps.calls.find((call) => call.name === 'finalize');
    expect(finalizeCall?.input).toMatchObject({ status: 'success', filesChanged: ['hello.txt'] });
  });

  it('gives each step call the run ids and a distinct idempotency key', async () => {
    const steps = happyScript();
    const graph = buildAgentGraph({ callStep: steps.callStep });
    await graph.invoke({ task: 'write hello.txt' }, config('t-9', 'r-3'));

    const keys = steps.calls.map((call) => call.options.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const { name, options } of steps.calls) {
      expect(options).toMatchObject({ threadId: 't-9', runId: 'r-3', step: name });
      expect(options.idempotencyKey).toBe(
        stepIdempotencyKey('t-9', 'r-3', name, options.superstep),
      );
    }
    expect(
      steps.calls.filter((call) => call.name === 'act').map((call) => call.options.iteration),
    ).toEqual([1, 2]);
  });

  it('keeps messages as stored-message JSON that survives a JSON round trip', async () => {
    const steps = happyScript();
    const graph = buildAgentGraph({ callStep: steps.callStep });
    const state = await graph.invoke({ task: 'write hello.txt' }, config());

    const copy = JSON.parse(JSON.stringify(state.messages)) as unknown;
    expect(copy).toEqual(state.messages);
    for (const message of state.messages) {
      expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
      expect(message).not.toHaveProperty('lc');
    }
    const chat = mapStoredMessagesToChatMessages(state.messages);
    expect(chat.map((message) => message.getType())).toEqual(['ai', 'tool', 'ai']);
    expect(chat[0]).toMatchObject({ tool_calls: [expect.objectContaining({ id: 'call-1' })] });
  });

  it('sends review feedback back to act and finishes after the next review', async () => {
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [finishReply('first try'), finishReply('second try')],
      review: [{ done: false, feedback: 'hello.txt is missing' }, reviewDone],
      finalize: [finalizeReply],
    });
    const graph = buildAgentGraph({ callStep: steps.callStep });
    const state = await graph.invoke({ task: 'write hello.txt' }, config());

    expect(steps.order()).toEqual(['plan', 'act', 'review', 'act', 'review', 'finalize']);
    const actInputs = steps.calls.filter((call) => call.name === 'act').map((call) => call.input);
    expect(actInputs[0]).toMatchObject({ feedback: null, iteration: 1 });
    expect(actInputs[1]).toMatchObject({ feedback: 'hello.txt is missing', iteration: 2 });
    expect(state).toMatchObject({ status: 'success', feedback: null, iteration: 2 });
  });
});

describe('agent graph stops', () => {
  it('stops at maxIterations and still finalizes', async () => {
    let n = 0;
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [() => toolCallReply(`call-${++n}`, 'read_file', { path: `f${n}.txt` })],
      tools: [echoTools()],
      finalize: [finalizeReply],
    });
    const graph = buildAgentGraph({ callStep: steps.callStep, limits: { maxIterations: 2 } });
    const state = await graph.invoke({ task: 'loop' }, config());

    expect(steps.count('act')).toBe(2);
    expect(steps.count('finalize')).toBe(1);
    expect(state.status).toBe('max_iterations');
    expect(state.error?.code).toBe('MAX_ITERATIONS');
    expect(state.error?.message).toMatch(
      /stopped after 2 iterations \(limits\.maxIterations = 2\)/,
    );
    expect(steps.calls.at(-1)?.input).toMatchObject({ status: 'max_iterations' });
  });

  it('stops as stuck after the same call with the same result three times in a row', async () => {
    let n = 0;
    const steps = scriptedSteps({
      plan: [planReply()],
      // Fresh call ids each time: only the name, arguments and result make a repeat.
      act: [() => toolCallReply(`call-${++n}`, 'run_command', { command: 'npm test' })],
      tools: [echoTools('1 failing')],
      finalize: [finalizeReply],
    });
    const graph = buildAgentGraph({ callStep: steps.callStep });
    const state = await graph.invoke({ task: 'fix tests' }, config());

    expect(steps.count('tools')).toBe(3);
    expect(steps.count('act')).toBe(3);
    expect(state.status).toBe('stuck');
    expect(state.error).toEqual({
      code: 'STUCK',
      message: 'the model made the same tool calls with the same results 3 times in a row',
    });
  });

  it('is not stuck when the same call returns a different result', async () => {
    let n = 0;
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [
        () => toolCallReply(`call-${++n}`, 'run_command', { command: 'npm test' }),
        () => toolCallReply(`call-${++n}`, 'run_command', { command: 'npm test' }),
        () => toolCallReply(`call-${++n}`, 'run_command', { command: 'npm test' }),
        finishReply(),
      ],
      tools: [echoTools('2 failing'), echoTools('1 failing'), echoTools('1 failing')],
      review: [reviewDone],
      finalize: [finalizeReply],
    });
    const graph = buildAgentGraph({ callStep: steps.callStep });
    const state = await graph.invoke({ task: 'fix tests' }, config());
    expect(state.status).toBe('success');
    expect(steps.count('tools')).toBe(3);
  });

  it('stops when the token budget is used up', async () => {
    let n = 0;
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [() => toolCallReply(`call-${++n}`, 'read_file', { path: `f${n}` }, 300)],
      tools: [echoTools()],
      finalize: [finalizeReply],
    });
    const graph = buildAgentGraph({ callStep: steps.callStep, limits: { maxTokens: 1000 } });
    const state = await graph.invoke({ task: 'read' }, config());

    // plan 15 tokens, then 600 per act: the third act would start at 1215.
    expect(steps.count('act')).toBe(2);
    expect(state.status).toBe('budget_exceeded');
    expect(state.error?.code).toBe('TOKEN_BUDGET_EXCEEDED');
    expect(state.error?.message).toBe('used 1215 tokens, the budget is 1000 (limits.maxTokens)');
  });

  it('stops when the cost budget is used up', async () => {
    let n = 0;
    const steps = scriptedSteps({
      plan: [{ ...planReply(), usage: usage(1, 1, 0.05) }],
      act: [
        () => ({
          ...toolCallReply(`call-${++n}`, 'read_file', { path: `f${n}` }),
          usage: usage(1, 1, 0.05),
        }),
      ],
      tools: [echoTools()],
      finalize: [finalizeReply],
    });
    const graph = buildAgentGraph({ callStep: steps.callStep, limits: { maxCostUsd: 0.1 } });
    const state = await graph.invoke({ task: 'read' }, config());

    expect(steps.count('act')).toBe(1);
    expect(state.status).toBe('budget_exceeded');
    expect(state.error?.code).toBe('COST_BUDGET_EXCEEDED');
    expect(state.error?.message).toMatch(/^spent \$0\.1000, the budget is \$0\.1/);
  });

  it('stops as cancelled before the next act and calls no further step', async () => {
    let n = 0;
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [() => toolCallReply(`call-${++n}`, 'read_file', { path: `f${n}` })],
      tools: [echoTools()],
      finalize: [finalizeReply],
    });
    const asked: string[] = [];
    const graph = buildAgentGraph({
      callStep: steps.callStep,
      isCancelled: async (threadId, runId) => {
        asked.push(`${threadId}/${runId}`);
        return steps.count('tools') >= 1;
      },
    });
    const state = await graph.invoke({ task: 'read' }, config('t-c', 'r-c'));

    expect(steps.order()).toEqual(['plan', 'act', 'tools']);
    expect(asked).toEqual(['t-c/r-c', 't-c/r-c']);
    expect(state.status).toBe('cancelled');
    expect(state.error).toEqual({ code: 'RUN_CANCELLED', message: 'the run was cancelled' });
  });
});

describe('agent graph step failures', () => {
  const retryable = () =>
    new InvokeError('act', { code: 'INVOKE_TIMEOUT', message: 'act timed out', retryable: true });

  it('retries a retryable failure as often as the function declares, same key, rising attempt', async () => {
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [retryable(), retryable(), finishReply()],
      review: [reviewDone],
      finalize: [finalizeReply],
    });
    const failures: StepFailure[] = [];
    const graph = buildAgentGraph({
      callStep: steps.callStep,
      retries: { act: 2 },
      retry: { initialInterval: 10, backoffFactor: 3, jitter: false },
      onStepFailure: (failure) => failures.push(failure),
    });
    const state = await graph.invoke({ task: 'write hello.txt' }, config());

    expect(state.status).toBe('success');
    const acts = steps.calls.filter((call) => call.name === 'act');
    expect(acts.map((call) => call.options.attempt)).toEqual([1, 2, 3]);
    expect(new Set(acts.map((call) => call.options.idempotencyKey)).size).toBe(1);
    // Each failed attempt is reported with the wait LangGraph's backoff makes before the next.
    expect(failures.map(({ error: _error, ...rest }) => rest)).toEqual([
      {
        step: 'act',
        attempt: 1,
        maxAttempts: 3,
        code: 'INVOKE_TIMEOUT',
        message: 'act timed out',
        retryable: true,
        retrying: true,
        delayMs: 10,
      },
      {
        step: 'act',
        attempt: 2,
        maxAttempts: 3,
        code: 'INVOKE_TIMEOUT',
        message: 'act timed out',
        retryable: true,
        retrying: true,
        delayMs: 30,
      },
    ]);
  });

  it('does not retry a step whose function declares no retries', async () => {
    const steps = scriptedSteps({ plan: [retryable()], finalize: [finalizeReply] });
    const failures: StepFailure[] = [];
    const graph = buildAgentGraph({
      callStep: steps.callStep,
      retries: { act: 3 },
      onStepFailure: (failure) => failures.push(failure),
    });
    const state = await graph.invoke({ task: 'write hello.txt' }, config());

    expect(steps.order()).toEqual(['plan']);
    expect(state.error).toEqual({
      code: 'INVOKE_TIMEOUT',
      message: 'step plan failed: act timed out',
    });
    expect(failures).toMatchObject([
      { step: 'plan', attempt: 1, maxAttempts: 1, retryable: true, retrying: false },
    ]);
    expect(failures[0]).not.toHaveProperty('delayMs');
  });

  it('ends with status error once the retries of a retryable failure run out', async () => {
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [retryable()],
      finalize: [finalizeReply],
    });
    const failures: StepFailure[] = [];
    const graph = buildAgentGraph({
      callStep: steps.callStep,
      retries: { act: 1 },
      retry: { initialInterval: 1 },
      onStepFailure: (failure) => failures.push(failure),
    });
    const state = await graph.invoke({ task: 'write hello.txt' }, config());

    expect(steps.order()).toEqual(['plan', 'act', 'act']);
    expect(state.status).toBe('error');
    expect(state.error).toEqual({
      code: 'INVOKE_TIMEOUT',
      message: 'step act failed: act timed out (after 2 attempts)',
    });
    // With jitter on (the default), LangGraph adds up to a second; the report says so.
    expect(failures).toMatchObject([
      { attempt: 1, retrying: true, delayMs: 1, jitterUpToMs: 1_000 },
      { attempt: 2, retrying: false },
    ]);
  });

  it('ends with status error on a non-retryable failure without retrying it', async () => {
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [toolCallReply('call-1', 'write_file', { path: 'a', content: 'b' })],
      tools: [
        new InvokeError('tools', {
          code: relayedCode('WORKSPACE_MISSING'),
          message: 'function tools failed: no workspace',
          retryable: false,
        }),
      ],
      finalize: [finalizeReply],
    });
    const graph = buildAgentGraph({
      callStep: steps.callStep,
      retries: { tools: 2 },
      retry: { initialInterval: 1 },
    });
    const state = await graph.invoke({ task: 'write' }, config());

    expect(steps.order()).toEqual(['plan', 'act', 'tools']);
    expect(state.status).toBe('error');
    expect(state.error).toEqual({
      code: 'WORKSPACE_MISSING',
      message: 'step tools failed: function tools failed: no workspace',
    });
  });

  it('treats an output that breaks the step schema as a non-retryable error', async () => {
    const steps = scriptedSteps({ plan: [{ plan: { steps: 'not a list' } }] });
    const graph = buildAgentGraph({ callStep: steps.callStep, retry: { initialInterval: 1 } });
    const state = await graph.invoke({ task: 'write' }, config());

    expect(steps.order()).toEqual(['plan']);
    expect(state.status).toBe('error');
    expect(state.error?.code).toBe('STEP_BAD_OUTPUT');
    expect(state.error?.message).toMatch(
      /^step plan failed: step plan returned output that does not match/,
    );
  });

  it('reports a plain thrown error with a generic code', async () => {
    const steps = scriptedSteps({ plan: [new Error('boom')] });
    const graph = buildAgentGraph({ callStep: steps.callStep });
    const state = await graph.invoke({ task: 'write' }, config());
    expect(state.error).toEqual({ code: 'STEP_FAILED', message: 'step plan failed: boom' });
  });
});
