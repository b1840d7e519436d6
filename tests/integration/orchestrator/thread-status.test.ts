import { MIGRATIONS } from '../../../src/orchestrator/run-records.js';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import type { RunStatus } from '../../../src/orchestrator/status.js';
import type { ThreadStatus } from '../../../src/orchestrator/thread-status.js';
import { KINDS, useStoreDatabases } from './store-databases.js';

// A thread's status is computed in SQL from its runs: the same answers from a real SQLite file
// and a real Postgres database, for a single thread and for a list of threads.

/** The runs of each thread, oldest first, and the status they give it. */
const CASES: [string, RunStatus[], ThreadStatus][] = [
  ['no-runs', [], 'idle'],
  ['success', ['success'], 'idle'],
  ['then-pending', ['success', 'pending'], 'busy'],
  ['running-before-error', ['running', 'error'], 'busy'],
  ['then-error', ['success', 'error'], 'error'],
  ['timeout', ['timeout'], 'error'],
  ['then-interrupted', ['error', 'interrupted'], 'interrupted'],
  ['interrupted-then-success', ['interrupted', 'success'], 'idle'],
];

describe.each(KINDS)('thread status on %s', (kind) => {
  const databases = useStoreDatabases(kind);
  let store: RunsStore;

  beforeEach(async () => {
    store = new RunsStore(await databases.open('runs', MIGRATIONS));
  });

  /** A run of `threadId` brought to `status` the way the executor brings it there. */
  async function runWith(threadId: string, runId: string, status: RunStatus): Promise<void> {
    await store.createRun(runId, threadId, 'task');
    if (status === 'running') await store.markRunning(runId, 0, null);
    else if (status !== 'pending') await store.finish(runId, { status });
  }

  test('each combination of runs gives its status, read alone and in a list', async () => {
    for (const [threadId, statuses] of CASES) {
      await store.createThread(threadId);
      for (const [index, status] of statuses.entries()) {
        await runWith(threadId, `${threadId}-${index}`, status);
      }
    }
    const expected = Object.fromEntries(CASES.map(([threadId, , status]) => [threadId, status]));

    const alone: Record<string, ThreadStatus | undefined> = {};
    for (const [threadId] of CASES) {
      alone[threadId] = (await store.thread(threadId, { all: true }))?.status;
    }
    expect(alone).toEqual(expected);
    const listed = await store.threads({ all: true });
    expect(Object.fromEntries(listed.map((thread) => [thread.threadId, thread.status]))).toEqual(
      expected,
    );
  });

  test('the status follows the runs as they start and end', async () => {
    const status = async () => (await store.thread('t', { all: true }))?.status;
    await store.createThread('t');
    expect(await status()).toBe('idle');
    await store.createRun('r1', 't', 'task');
    expect(await status()).toBe('busy');
    await store.markRunning('r1', 0, null);
    expect(await status()).toBe('busy');
    await store.finish('r1', { status: 'interrupted' });
    expect(await status()).toBe('interrupted');
    await store.createRun('r2', 't', 'follow-up');
    expect(await status()).toBe('busy');
    await store.finish('r2', { status: 'timeout' });
    expect(await status()).toBe('error');
  });

  test("the thread's last run counts, not the run that ended last", async () => {
    await store.createThread('t');
    await store.createRun('older', 't', 'task');
    await store.createRun('newer', 't', 'task');
    await store.finish('newer', { status: 'success' });
    await store.finish('older', { status: 'error' });
    expect((await store.thread('t', { all: true }))?.status).toBe('idle');
  });
});
