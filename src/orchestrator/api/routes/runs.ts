import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import type { RunRecord } from '../../runs-store.js';
import { failed, json } from './shapes.js';
import { scopeOf } from '../access.js';
import { noteIds } from '../respond.js';
import { createRun, listRuns, outcome } from '../run-service.js';
import type { ApiApp, ApiDeps, ApiEnv } from '../types.js';
import {
  CancelQuery,
  Run,
  RunCreate,
  RunList,
  RunListQuery,
  RunValues,
  ThreadId,
} from '../schemas.js';
import { findRun, toApiRun } from '../serialize.js';

const ThreadParams = z.object({ thread_id: ThreadId });
const RunParams = z.object({ thread_id: ThreadId, run_id: z.string().min(1) });
const runBody = { body: { ...json(RunCreate, 'the run'), required: true } };

/** Where a client finds the run again: the SDK reads these to re-attach a dropped stream. */
export function locate(c: Context<ApiEnv>, run: RunRecord): void {
  const path = `/threads/${encodeURIComponent(run.threadId)}/runs/${encodeURIComponent(run.runId)}`;
  c.header('Content-Location', path);
  noteIds(c, { threadId: run.threadId, runId: run.runId });
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
    async (c) => {
      const { thread_id } = c.req.valid('param');
      const runs = await listRuns(deps, c.get('caller'), thread_id, c.req.valid('query'));
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
    async (c) => {
      const { thread_id, run_id } = c.req.valid('param');
      return c.json(
        toApiRun(await findRun(deps.store, thread_id, run_id, scopeOf(c.get('caller')))),
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
      const run = await findRun(deps.store, thread_id, run_id, scopeOf(caller));
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
    async (c) => {
      const { thread_id, run_id } = c.req.valid('param');
      const run = await findRun(deps.store, thread_id, run_id, scopeOf(c.get('caller')));
      if (run.status === 'pending' || run.status === 'running') {
        throw new AtolyeError(
          'RUN_ACTIVE',
          `run ${run_id} is ${run.status}; cancel it first (POST …/runs/${run_id}/cancel), then delete it`,
        );
      }
      await deps.store.deleteRun(run.runId);
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
      const run = await findRun(deps.store, thread_id, run_id, scopeOf(c.get('caller')));
      if (!(await deps.executor.cancel(run.runId))) {
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
