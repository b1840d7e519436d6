import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import type { ThreadState } from '../../executor.js';
import type { RunRecord } from '../../runs-store.js';
import { failed, json } from './shapes.js';
import { ownerOf, scopeOf, type Caller } from '../access.js';
import { noteIds } from '../respond.js';
import type { ApiApp, ApiDeps, ApiEnv } from '../types.js';
import { whileKeyLive } from '../key-watch.js';
import {
  CancelQuery,
  Run,
  RunCreate,
  RunList,
  RunListQuery,
  RunValues,
  ThreadId,
} from '../schemas.js';
import { findRun, findThread, toApiRun } from '../serialize.js';
import { webhookPolicyFor } from '../../webhook-policy.js';
import { runRequest } from '../run-request.js';
import { findAssistant } from '../assistant-catalog.js';

const ThreadParams = z.object({ thread_id: ThreadId });
const RunParams = z.object({ thread_id: ThreadId, run_id: z.string().min(1) });
const runBody = { body: { ...json(RunCreate, 'the run'), required: true } };

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
  if (body.if_not_exists === 'create') deps.store.createThread(threadId, {}, ownerOf(caller));
  findThread(deps.store, threadId, scopeOf(caller));
  const assistant = findAssistant(deps, body.assistant_id, scopeOf(caller));
  const strategy = body.multitask_strategy ?? 'reject';
  // "interrupt" and "rollback" replace the active runs: they stop before their next step, and
  // this run waits for them; "rollback" then deletes them and starts where the first one did.
  const replaced =
    strategy === 'interrupt' || strategy === 'rollback' ? deps.store.activeRunsOf(threadId) : [];
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
  const runs = deps.store.runsOf(threadId);
  const { task, control } = runRequest(threadId, body, {
    state,
    assistant,
    configured: deps.config.agent.approval,
    last: runs.filter((run) => !replaced.some((other) => other.runId === run.runId)).at(-1),
    ...(typeof fork === 'string' ? { fork } : {}),
  });
  for (const active of replaced) deps.executor.cancel(active.runId);
  const runId = deps.executor.startRun(threadId, task, {
    metadata: body.metadata ?? {},
    multitaskStrategy: strategy,
    webhook: body.webhook ?? null,
    control: rollback ? { ...control, rollback: replaced.map((run) => run.runId) } : control,
  });
  return deps.store.get(runId) as RunRecord;
}

/**
 * Where a rollback goes back to: the checkpoint the first replaced run started from (the latest
 * one when it has not started yet); null when there was none, an empty thread.
 */
function rollbackPoint(first: RunRecord, latest: ThreadState | undefined): string | null {
  if (first.status === 'running') return first.startCheckpoint;
  return latest?.checkpointId ?? null;
}

/** Where a client finds the run again: the SDK reads these to re-attach a dropped stream. */
export function locate(c: Context<ApiEnv>, run: RunRecord): void {
  const path = `/threads/${encodeURIComponent(run.threadId)}/runs/${encodeURIComponent(run.runId)}`;
  c.header('Content-Location', path);
  noteIds(c, { threadId: run.threadId, runId: run.runId });
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

export function addRunRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/runs',
      summary: 'Start a run in the background',
      request: { params: ThreadParams, ...runBody },
      responses: { 200: json(Run, 'the new run'), 400: failed, 404: failed, 409: failed },
    }),
    async (c) => {
      const caller = c.get('caller');
      const run = await createRun(
        deps,
        caller,
        c.req.valid('param').thread_id,
        c.req.valid('json'),
      );
      locate(c, run);
      return c.json(toApiRun(run), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/runs/wait',
      summary: "Start a run and answer with the thread's values once it ends",
      request: { params: ThreadParams, ...runBody },
      responses: {
        200: json(RunValues, 'the final values'),
        400: failed,
        404: failed,
        409: failed,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const run = await createRun(
        deps,
        caller,
        c.req.valid('param').thread_id,
        c.req.valid('json'),
      );
      locate(c, run);
      return c.json(await outcome(deps, caller, run), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/runs',
      summary: "The thread's runs, newest first",
      request: { params: ThreadParams, query: RunListQuery },
      responses: { 200: json(RunList, 'the runs'), 404: failed },
    }),
    (c) => {
      const { thread_id } = c.req.valid('param');
      const { limit, offset, status } = c.req.valid('query');
      findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const runs = deps.store
        .runsOf(thread_id)
        .reverse()
        .filter((run) => status === undefined || run.status === status)
        .slice(offset, offset + limit);
      return c.json(runs.map(toApiRun), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/runs/{run_id}',
      summary: 'One run',
      request: { params: RunParams },
      responses: { 200: json(Run, 'the run'), 404: failed },
    }),
    (c) => {
      const { thread_id, run_id } = c.req.valid('param');
      return c.json(
        toApiRun(findRun(deps.store, thread_id, run_id, scopeOf(c.get('caller')))),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/runs/{run_id}/join',
      summary: "Wait for a run to end; answers with the thread's values",
      request: { params: RunParams },
      responses: { 200: json(RunValues, 'the final values'), 404: failed },
    }),
    async (c) => {
      const { thread_id, run_id } = c.req.valid('param');
      const caller = c.get('caller');
      const run = findRun(deps.store, thread_id, run_id, scopeOf(caller));
      return c.json(await outcome(deps, caller, run), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/threads/{thread_id}/runs/{run_id}',
      summary:
        "Delete an ended run's record and its stream (its work stays in the thread's state); 409 while it is pending or running",
      request: { params: RunParams },
      responses: { 204: { description: 'deleted' }, 404: failed, 409: failed },
    }),
    (c) => {
      const { thread_id, run_id } = c.req.valid('param');
      const run = findRun(deps.store, thread_id, run_id, scopeOf(c.get('caller')));
      if (run.status === 'pending' || run.status === 'running') {
        throw new AtolyeError(
          'RUN_ACTIVE',
          `run ${run_id} is ${run.status}; cancel it first (POST …/runs/${run_id}/cancel), then delete it`,
        );
      }
      deps.store.deleteRun(run.runId);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/runs/{run_id}/cancel',
      summary: 'Cancel a pending or running run; it ends interrupted',
      request: { params: RunParams, query: CancelQuery },
      responses: {
        200: json(Run, 'the ended run (with wait=1)'),
        202: { description: 'cancellation requested' },
        404: failed,
        409: failed,
      },
    }),
    async (c) => {
      const { thread_id, run_id } = c.req.valid('param');
      const run = findRun(deps.store, thread_id, run_id, scopeOf(c.get('caller')));
      if (!deps.executor.cancel(run.runId)) {
        throw new AtolyeError('RUN_FINISHED', `run ${run_id} has ended already (${run.status})`);
      }
      const { wait } = c.req.valid('query');
      if (wait === '1' || wait === 'true') {
        return c.json(toApiRun(await deps.executor.waitFor(run.runId)), 200);
      }
      return c.body(null, 202);
    },
  );
}
