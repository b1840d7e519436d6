import { AtolyeError } from '../../errors.js';
import type { ThreadState } from '../executor.js';
import type { RunRecord } from '../runs-store.js';
import { removeThread } from '../thread-removal.js';
import type { RunStatus } from '../status.js';
import { webhookPolicyFor } from '../webhook-policy.js';
import { ownerOf, scopeOf, type Caller } from './access.js';
import { findAssistant } from './assistant-catalog.js';
import { whileKeyLive } from './key-watch.js';
import { runRequest } from './run-request.js';
import type { RunCreate } from './schemas.js';
import { findThread } from './serialize.js';
import type { ApiDeps } from './types.js';

/**
 * The runs of the API, between its routes and the runs store: starting a run from a request (the
 * thread's routes, the stateless runs and the crons all start theirs here), listing a thread's
 * runs, and what a waiting client gets once a run ends.
 */

/**
 * Creates a run from a validated body. The thread must be one `caller` may see; with
 * `if_not_exists: "create"` a free id becomes a new thread of the caller's, while an id another
 * key owns stays theirs and answers 404 as any unknown thread does.
 */
export async function createRun(
  deps: ApiDeps,
  caller: Caller,
  threadId: string,
  body: RunCreate,
): Promise<RunRecord> {
  // Before anything is created: a refused webhook leaves no thread and no run behind.
  if (body.webhook) await webhookPolicyFor(deps.config, deps.hostUrl).check(body.webhook);
  const created =
    body.if_not_exists === 'create' &&
    (await deps.store.createThread(threadId, {}, ownerOf(caller)));
  try {
    return await startOn(deps, caller, threadId, body);
  } catch (error) {
    // A refused run (an assistant, a checkpoint, a strategy) leaves no thread it created behind.
    if (created) await removeThread(deps, threadId).catch(() => undefined);
    throw error;
  }
}

async function startOn(
  deps: ApiDeps,
  caller: Caller,
  threadId: string,
  body: RunCreate,
): Promise<RunRecord> {
  await findThread(deps.store, threadId, scopeOf(caller));
  const assistant = await findAssistant(deps, body.assistant_id, scopeOf(caller));
  const strategy = body.multitask_strategy ?? 'reject';
  // "interrupt" and "rollback" replace the active runs: they stop before their next step, and
  // this run waits for them; "rollback" then deletes them and starts where the first one did.
  const replaced =
    strategy === 'interrupt' || strategy === 'rollback'
      ? await deps.store.activeRunsOf(threadId)
      : [];
  const rollback = strategy === 'rollback' && replaced.length > 0;
  const asked = body.checkpoint_id ?? body.checkpoint?.checkpoint_id;
  if (rollback && asked !== undefined) {
    throw new AtolyeError(
      'RUN_INVALID',
      'multitask_strategy "rollback" goes back to where the active run started: leave checkpoint_id out, or use "interrupt"',
    );
  }
  const latest = await deps.executor.threadState(threadId);
  const fork = rollback ? rollbackPoint(replaced[0] as RunRecord, latest) : asked;
  const state =
    fork === undefined || fork === null
      ? rollback
        ? undefined
        : latest
      : await deps.executor.timeline.stateAt(threadId, fork);
  const runs = await deps.store.runsOf(threadId);
  const { task, control } = runRequest(threadId, body, {
    state,
    assistant,
    configured: deps.config.agent.approval,
    last: runs.filter((run) => !replaced.some((other) => other.runId === run.runId)).at(-1),
    ...(typeof fork === 'string' ? { fork } : {}),
  });
  for (const active of replaced) await deps.executor.cancel(active.runId);
  const runId = await deps.executor.startRun(threadId, task, {
    metadata: body.metadata ?? {},
    multitaskStrategy: strategy,
    webhook: body.webhook ?? null,
    control: rollback ? { ...control, rollback: replaced.map((run) => run.runId) } : control,
  });
  return (await deps.store.get(runId)) as RunRecord;
}

/**
 * Where a rollback goes back to: the checkpoint the first replaced run started from (the latest
 * one when it has not started yet); null when there was none, an empty thread.
 */
function rollbackPoint(first: RunRecord, latest: ThreadState | undefined): string | null {
  if (first.status === 'running') return first.startCheckpoint;
  return latest?.checkpointId ?? null;
}

/** A page of the thread's runs, newest first, `status` ones only when given. */
export async function listRuns(
  deps: ApiDeps,
  caller: Caller,
  threadId: string,
  page: { limit: number; offset: number; status?: RunStatus },
): Promise<RunRecord[]> {
  await findThread(deps.store, threadId, scopeOf(caller));
  return deps.store.runsPage(threadId, page);
}

/**
 * What `wait` and `join` answer: the thread's values, or LangGraph's `__error__` on failure. The
 * wait ends early with API_KEY_REVOKED when `caller`'s key is revoked meanwhile.
 */
export async function outcome(
  deps: ApiDeps,
  caller: Caller,
  run: RunRecord,
): Promise<Record<string, unknown>> {
  const ended = await whileKeyLive(deps.keys, caller, deps.executor.waitFor(run.runId));
  const state = await deps.executor.threadState(run.threadId);
  const values = (state?.values as Record<string, unknown> | undefined) ?? {};
  if (ended.status === 'error' || ended.status === 'timeout') {
    return {
      ...values,
      __error__: {
        error: ended.error?.code ?? ended.status,
        message: ended.error?.message ?? `the run ended with status ${ended.status}`,
      },
    };
  }
  return values;
}
