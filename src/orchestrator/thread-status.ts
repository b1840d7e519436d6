import type { RunStatus } from './status.js';

/**
 * A thread's status, LangGraph Platform's four values, from its runs: busy while one is pending or
 * running, else what its last run ended with. The one definition: the API's thread records and
 * the thread search (which reads the same two facts in SQL) both go through it.
 */

export type ThreadStatus = 'idle' | 'busy' | 'interrupted' | 'error';

export function threadStatus(busy: boolean, lastRun: RunStatus | null | undefined): ThreadStatus {
  if (busy) return 'busy';
  if (lastRun === 'error' || lastRun === 'timeout') return 'error';
  if (lastRun === 'interrupted') return 'interrupted';
  return 'idle';
}

export function threadStatusOfRuns(runs: readonly { status: RunStatus }[]): ThreadStatus {
  const busy = runs.some((run) => run.status === 'pending' || run.status === 'running');
  return threadStatus(busy, runs.at(-1)?.status);
}
