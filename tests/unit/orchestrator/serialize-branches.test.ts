import type { RunRecord, ThreadRecord } from '../../../src/orchestrator/runs-store.js';
import { toApiState, toApiThread } from '../../../src/orchestrator/api/serialize.js';

// A thread's status is derived from its runs; its state's optional fields have API defaults.

const thread: ThreadRecord = {
  threadId: 't1',
  metadata: { owner: 'me' },
  owner: 'key:me',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
};

function run(status: RunRecord['status']): RunRecord {
  return {
    runId: `run-${status}`,
    threadId: 't1',
    task: 'task',
    status,
    metadata: {},
    multitaskStrategy: 'reject',
    webhook: null,
    stopReason: null,
    error: null,
    summary: null,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    cancelRequested: false,
    usageOffset: 0,
    startCheckpoint: null,
    control: {},
    interrupts: null,
    createdAt: thread.createdAt,
    updatedAt: thread.updatedAt,
  };
}

describe('toApiThread status', () => {
  it.each([
    [[], 'idle'],
    [['success'], 'idle'],
    [['success', 'pending'], 'busy'],
    [['running', 'error'], 'busy'],
    [['success', 'error'], 'error'],
    [['timeout'], 'error'],
    [['error', 'interrupted'], 'interrupted'],
    [['interrupted', 'success'], 'idle'],
  ] as [RunRecord['status'][], string][])('runs %j make the thread %s', (statuses, expected) => {
    const api = toApiThread(thread, statuses.map(run), undefined);
    expect(api.status).toBe(expected);
    expect(api.values).toBeNull();
    expect(api).toMatchObject({ thread_id: 't1', metadata: { owner: 'me' } });
  });

  it('carries the state values when there is a state', () => {
    const api = toApiThread(thread, [], {
      values: { summary: 's' },
      next: [],
      checkpointId: 'c1',
      parentCheckpointId: null,
      createdAt: null,
      metadata: {},
      tasks: [],
    });
    expect(api.values).toEqual({ summary: 's' });
  });
});

describe('toApiState', () => {
  it('a thread without a state has empty values and no checkpoint', () => {
    expect(toApiState('t1', undefined)).toEqual({
      values: {},
      next: [],
      checkpoint: { thread_id: 't1', checkpoint_ns: '', checkpoint_id: null },
      metadata: {},
      created_at: null,
      parent_checkpoint: null,
      tasks: [],
    });
  });

  it('names the parent checkpoint when there is one', () => {
    const state = toApiState('t1', {
      values: { summary: 'x' },
      next: ['act'],
      checkpointId: 'c2',
      parentCheckpointId: 'c1',
      createdAt: '2026-01-03T00:00:00.000Z',
      metadata: { step: 2 },
      tasks: [{ id: 'task-1', name: 'act', interrupts: [] }],
    });
    expect(state).toMatchObject({
      values: { summary: 'x' },
      next: ['act'],
      checkpoint: { checkpoint_id: 'c2' },
      metadata: { step: 2 },
      created_at: '2026-01-03T00:00:00.000Z',
      parent_checkpoint: { thread_id: 't1', checkpoint_ns: '', checkpoint_id: 'c1' },
    });
  });
});
