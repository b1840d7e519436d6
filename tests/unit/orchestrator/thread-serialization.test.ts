import type { ThreadRecord } from '../../../src/orchestrator/runs-store.js';
import { toApiState, toApiThread } from '../../../src/orchestrator/api/serialize.js';

// A thread and its state in the API's shapes; a state's optional fields have API defaults.

const thread: ThreadRecord = {
  threadId: 't1',
  metadata: { owner: 'me' },
  owner: 'key:me',
  status: 'interrupted',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
};

// The status itself comes from the store's SQL: tests/integration/orchestrator/thread-status.test.ts.
describe('toApiThread', () => {
  it("carries the thread's status, metadata and times; no state is null values", () => {
    expect(toApiThread(thread, undefined)).toEqual({
      thread_id: 't1',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
      metadata: { owner: 'me' },
      status: 'interrupted',
      values: null,
    });
  });

  it('carries the state values when there is a state', () => {
    const api = toApiThread(thread, {
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
