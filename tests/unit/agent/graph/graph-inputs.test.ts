import { buildAgentGraph, runIdsOf } from '../../../../src/agent/graph/graph.js';
import { attemptOf, runLimitsOf } from '../../../../src/agent/graph/node-helpers.js';
import { FINGERPRINT_HISTORY } from '../../../../src/agent/graph/state.js';
import {
  echoTools,
  finalizeReply,
  finishReply,
  planReply,
  reviewDone,
  scriptedSteps,
  toolCallReply,
  toolsReply,
} from './fake-steps.js';

// What each step is sent and what the state keeps of each step's answer, beyond the happy path
// graph.test.ts follows.

const config = (configurable: Record<string, unknown> = {}) => ({
  configurable: { thread_id: 'thread-1', run_id: 'run-1', ...configurable },
});

const inputsOf = (steps: ReturnType<typeof scriptedSteps>, name: string) =>
  steps.calls.filter((call) => call.name === name).map((call) => call.input);

function oneToolRun(tools: unknown = echoTools(), finalize: unknown = finalizeReply) {
  return scriptedSteps({
    plan: [planReply()],
    act: [toolCallReply('c-1', 'run_command', { command: 'ls' }), finishReply()],
    tools: [tools],
    review: [reviewDone],
    finalize: [finalize],
  });
}

describe('what the steps are sent', () => {
  it('passes the run model to the model steps, not to tools', async () => {
    const steps = oneToolRun();
    await buildAgentGraph({ callStep: steps.callStep }).invoke(
      { task: 't' },
      config({ model: 'gpt-test' }),
    );
    for (const name of ['plan', 'act', 'review', 'finalize']) {
      for (const input of inputsOf(steps, name)) expect(input).toMatchObject({ model: 'gpt-test' });
    }
    expect(inputsOf(steps, 'tools')[0]).not.toHaveProperty('model');
  });

  it('sends no model when the run names none', async () => {
    const steps = oneToolRun();
    await buildAgentGraph({ callStep: steps.callStep }).invoke({ task: 't' }, config({ model: 7 }));
    for (const call of steps.calls) expect(call.input).not.toHaveProperty('model');
  });

  it('gives act the workspace changes and context size of the steps before it', async () => {
    const act = [
      { ...toolCallReply('c-1', 'run_command', { command: 'ls' }), contextTokens: 1234 },
      { ...toolCallReply('c-2', 'run_command', { command: 'pwd' }) },
      finishReply(),
    ];
    const steps = scriptedSteps({
      plan: [planReply()],
      act,
      tools: [
        { ...toolsReply([{ id: 'c-1', name: 'run_command' }]), workspaceChanges: ' a | 1 +' },
        toolsReply([{ id: 'c-2', name: 'run_command' }]),
      ],
      review: [reviewDone],
      finalize: [finalizeReply],
    });
    const state = await buildAgentGraph({ callStep: steps.callStep }).invoke(
      { task: 't' },
      config(),
    );
    const acts = inputsOf(steps, 'act');
    expect(acts[0]).toMatchObject({ contextTokens: 0, workspaceChanges: null });
    expect(acts[1]).toMatchObject({ contextTokens: 1234, workspaceChanges: ' a | 1 +' });
    // A step that reports neither leaves both as they were.
    expect(acts[2]).toMatchObject({ contextTokens: 1234, workspaceChanges: ' a | 1 +' });
    expect(state.workspaceChanges).toBe(' a | 1 +');
  });

  it('keeps the files finalize reports as the files changed', async () => {
    const steps = oneToolRun(echoTools(), { ...finalizeReply, files: ['x.ts', 'y.ts'] });
    const state = await buildAgentGraph({ callStep: steps.callStep }).invoke(
      { task: 't' },
      config(),
    );
    expect(state.filesChanged).toEqual(['x.ts', 'y.ts']);
  });

  it('uses the default review feedback when a review says not done without why', async () => {
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [finishReply(), finishReply()],
      review: [{ done: false }, reviewDone],
      finalize: [finalizeReply],
    });
    await buildAgentGraph({ callStep: steps.callStep }).invoke({ task: 't' }, config());
    expect(inputsOf(steps, 'act')[1]).toMatchObject({
      feedback: 'the review found the task not done yet',
    });
  });
});

describe('recorded workspace', () => {
  it('keeps the commit recorded after plan, tools and review', async () => {
    const recorded: string[] = [];
    let n = 0;
    const steps = oneToolRun();
    const state = await buildAgentGraph({
      callStep: steps.callStep,
      recordWorkspace: async (threadId) => {
        recorded.push(threadId);
        n += 1;
        return `commit-${n}`;
      },
    }).invoke({ task: 't' }, config());

    // plan, tools, review: three recordings; act and finalize keep the one before them.
    expect(recorded).toEqual(['thread-1', 'thread-1', 'thread-1']);
    expect(state.workspaceCommit).toBe('commit-3');
  });

  it('leaves the commit null when the recorder has none', async () => {
    const steps = oneToolRun();
    const state = await buildAgentGraph({
      callStep: steps.callStep,
      recordWorkspace: async () => undefined,
    }).invoke({ task: 't' }, config());
    expect(state.workspaceCommit).toBeNull();
  });
});

describe('a failed review', () => {
  it('ends the run without finalize', async () => {
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [finishReply()],
      review: [new Error('review crashed')],
      finalize: [finalizeReply],
    });
    const state = await buildAgentGraph({ callStep: steps.callStep }).invoke(
      { task: 't' },
      config(),
    );
    expect(steps.order()).toEqual(['plan', 'act', 'review']);
    expect(state.status).toBe('error');
    expect(state.error?.message).toBe('step review failed: review crashed');
  });
});

describe('tool fingerprints', () => {
  it(`keeps the last ${FINGERPRINT_HISTORY} tools steps only`, async () => {
    let n = 0;
    const steps = scriptedSteps({
      plan: [planReply()],
      // Every call different: never stuck, stopped by maxIterations.
      act: [() => toolCallReply(`c-${++n}`, 'read_file', { path: `f${n}` })],
      tools: [echoTools()],
      finalize: [finalizeReply],
    });
    const state = await buildAgentGraph({
      callStep: steps.callStep,
      limits: { maxIterations: FINGERPRINT_HISTORY + 3 },
    }).invoke({ task: 't' }, { ...config(), recursionLimit: 100 });
    expect(steps.count('tools')).toBe(FINGERPRINT_HISTORY + 3);
    expect(state.toolFingerprints).toHaveLength(FINGERPRINT_HISTORY);
    expect(new Set(state.toolFingerprints).size).toBe(FINGERPRINT_HISTORY);
    expect(state.task).toBe('t');
  });
});

describe('run ids', () => {
  it('falls back to the thread for a missing run id, and to empty without a thread', () => {
    expect(runIdsOf({ configurable: { thread_id: 't', run_id: 'r' } })).toEqual({
      threadId: 't',
      runId: 'r',
    });
    expect(runIdsOf({ configurable: { thread_id: 't', run_id: 5 } })).toEqual({
      threadId: 't',
      runId: 't',
    });
    expect(runIdsOf({ configurable: { thread_id: 9 } })).toEqual({ threadId: '', runId: '' });
    expect(runIdsOf({})).toEqual({ threadId: '', runId: '' });
  });
});

describe('run limits and attempts', () => {
  it("takes the run's own limits, 0 meaning none", () => {
    expect(
      runLimitsOf({
        configurable: { limits: { maxIterations: 4, maxTokens: 900, maxCostUsd: 2 } },
      }),
    ).toEqual({ maxIterations: 4, maxTokens: 900, maxCostUsd: 2 });
    const unlimited = runLimitsOf({ configurable: { limits: { maxTokens: 0, maxCostUsd: 0 } } });
    expect(unlimited.maxTokens).toBeUndefined();
    expect(unlimited.maxCostUsd).toBeUndefined();
    expect(unlimited).not.toHaveProperty('maxIterations');
    expect(runLimitsOf({})).toEqual({});
  });

  it('counts attempts from 1', () => {
    expect(attemptOf({ executionInfo: { nodeAttempt: 3 } } as never)).toBe(3);
    expect(attemptOf({ executionInfo: { nodeAttempt: 1 } } as never)).toBe(1);
    expect(attemptOf({ executionInfo: { nodeAttempt: 0 } } as never)).toBe(1);
    expect(attemptOf({})).toBe(1);
  });
});
