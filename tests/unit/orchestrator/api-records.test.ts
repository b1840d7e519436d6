import path from 'node:path';
import { ASSISTANT_UUID } from '../../../src/orchestrator/api/schemas.js';
import {
  findRun,
  findThread,
  toApiAssistant,
  toApiRun,
  toApiState,
} from '../../../src/orchestrator/api/serialize.js';
import { RunsStore, type RunRecord } from '../../../src/orchestrator/runs-store.js';
import { tempDir } from '../../helpers/tmp.js';

// Runs, states and assistants in the API's shapes, and the lookups every thread route starts with
// (on a real SQLite store).

const run: RunRecord = {
  runId: 'r1',
  threadId: 't1',
  task: 'fix it',
  status: 'interrupted',
  metadata: { n: 1 },
  multitaskStrategy: 'reject',
  webhook: null,
  stopReason: 'approval',
  error: null,
  summary: null,
  usage: { inputTokens: 3, outputTokens: 4, costUsd: 0.5 },
  cancelRequested: false,
  usageOffset: 0,
  startCheckpoint: null,
  control: {},
  interrupts: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
};

describe('toApiRun', () => {
  it('names the built-in assistant for a run of none, and gives no interrupts when none wait', () => {
    expect(toApiRun(run)).toStrictEqual({
      run_id: 'r1',
      thread_id: 't1',
      assistant_id: ASSISTANT_UUID,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
      status: 'interrupted',
      metadata: { n: 1 },
      multitask_strategy: 'reject',
      kwargs: { input: { task: 'fix it' }, webhook: null },
      stop_reason: 'approval',
      error: null,
      summary: null,
      usage: { input_tokens: 3, output_tokens: 4, cost_usd: 0.5 },
    });
  });

  it('carries the assistant it ran and what a paused run waits for', () => {
    const interrupts = [{ value: { tool_calls: [], reason: 'r' }, id: 'i1' }];
    const api = toApiRun({ ...run, control: { assistantId: 'v1' }, interrupts });
    expect(api.assistant_id).toBe('v1');
    expect(api.interrupts).toStrictEqual(interrupts);
  });
});

describe('toApiState', () => {
  it('lists each task with what it waits for, in the Platform’s task shape', () => {
    const interrupts = [{ value: { reason: 'r' }, id: 'i1' }];
    const api = toApiState('t1', {
      values: {},
      next: ['tools'],
      checkpointId: 'c1',
      parentCheckpointId: null,
      createdAt: null,
      metadata: {},
      tasks: [{ id: 'task-1', name: 'tools', interrupts }],
    });
    expect(api.tasks).toStrictEqual([
      {
        id: 'task-1',
        name: 'tools',
        error: null,
        interrupts,
        checkpoint: null,
        state: null,
        result: null,
      },
    ]);
  });
});

test('toApiAssistant gives the assistant’s settings as config.configurable', () => {
  const api = toApiAssistant({
    assistantId: 'v1',
    graphId: 'atolye',
    name: 'careful',
    description: null,
    configurable: { approval: 'always' },
    metadata: {},
    owner: null,
    version: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-02T00:00:00.000Z',
  });
  expect(api).toStrictEqual({
    assistant_id: 'v1',
    graph_id: 'atolye',
    name: 'careful',
    description: null,
    config: { configurable: { approval: 'always' } },
    context: {},
    metadata: {},
    version: 2,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-02T00:00:00.000Z',
  });
});

describe('findThread and findRun', () => {
  let root: ReturnType<typeof tempDir>;
  let store: RunsStore;
  const mine = { owners: ['key:me'] };

  beforeAll(async () => {
    root = tempDir('atolye-api-records-');
    store = RunsStore.inFile(path.join(root.dir, 'orchestrator.sqlite'));
    await store.createThread('t1', {}, 'key:me');
    await store.createThread('t2', {}, 'key:other');
    await store.createThread('t3', {}, 'key:me');
    await store.createRun('r1', 't1', 'fix it');
  });

  afterAll(async () => {
    await store.close();
    root.cleanup();
  });

  it('find a thread and its run in scope', async () => {
    expect((await findThread(store, 't1', mine)).threadId).toBe('t1');
    expect((await findRun(store, 't1', 'r1', mine)).task).toBe('fix it');
  });

  it('answer an unknown thread and another key’s thread alike', async () => {
    for (const threadId of ['nope', 't2']) {
      await expect(findThread(store, threadId, mine)).rejects.toMatchObject({
        code: 'THREAD_NOT_FOUND',
        message: `no thread ${threadId}; create it with POST /threads`,
      });
      await expect(findRun(store, threadId, 'r1', mine)).rejects.toMatchObject({
        code: 'THREAD_NOT_FOUND',
      });
    }
  });

  it('refuse a run asked for under another thread, or none', async () => {
    await expect(findRun(store, 't3', 'r1', mine)).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: 'no run r1 on thread t3',
    });
    await expect(findRun(store, 't1', 'r9', mine)).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: 'no run r9 on thread t1',
    });
  });
});
