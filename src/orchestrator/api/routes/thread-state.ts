import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import { scopeOf } from '../access.js';
import type { ApiApp, ApiDeps } from '../types.js';
import { strictBody, ThreadId, ThreadState } from '../schemas.js';
import {
  checkpointOf,
  HistoryQuery,
  StateAtCheckpoint,
  StateUpdate,
  StateUpdated,
} from '../schemas-state.js';
import { findThread, toApiState } from '../serialize.js';
import { failed, json } from './shapes.js';

/**
 * A thread's state and its past: the latest checkpoint, one by id, the history newest first, and
 * a person's update. A run with `checkpoint_id` forks from a past checkpoint, files included.
 */

const ThreadParams = z.object({ thread_id: ThreadId });
const StateQuery = strictBody({ subgraphs: z.enum(['true', 'false']).optional() });

export function addThreadStateRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/state',
      summary: "The thread's latest checkpoint",
      request: { params: ThreadParams, query: StateQuery },
      responses: { 200: json(ThreadState, 'the state'), 400: failed, 404: failed },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      return c.json(toApiState(thread_id, await deps.executor.threadState(thread_id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/state/{checkpoint_id}',
      summary: 'The thread at one of its checkpoints',
      request: {
        params: z.object({ thread_id: ThreadId, checkpoint_id: z.string().min(1) }),
        query: StateQuery,
      },
      responses: { 200: json(ThreadState, 'the state'), 400: failed, 404: failed },
    }),
    async (c) => {
      const { thread_id, checkpoint_id } = c.req.valid('param');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const state = await deps.executor.timeline.stateAt(thread_id, checkpoint_id);
      return c.json(toApiState(thread_id, state), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/state/checkpoint',
      summary: 'The thread at one of its checkpoints, named by a checkpoint object',
      request: { params: ThreadParams, body: { ...json(StateAtCheckpoint, 'the checkpoint') } },
      responses: { 200: json(ThreadState, 'the state'), 400: failed, 404: failed },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const { checkpoint } = c.req.valid('json');
      const state = await deps.executor.timeline.stateAt(thread_id, checkpoint.checkpoint_id);
      return c.json(toApiState(thread_id, state), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/history',
      summary: "The thread's checkpoints, newest first, each with its next steps and metadata",
      request: {
        params: ThreadParams,
        body: { ...json(HistoryQuery, 'paging and filters'), required: false },
      },
      responses: { 200: json(z.array(ThreadState), 'the checkpoints'), 400: failed, 404: failed },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const body = c.req.valid('json');
      const before = checkpointOf(body.before);
      const states = await deps.executor.timeline.history(thread_id, {
        limit: body.limit ?? 10,
        ...(before === undefined ? {} : { before }),
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
      });
      return c.json(
        states.map((state) => toApiState(thread_id, state)),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/state',
      summary:
        "Change the thread's state (task, plan, feedback, summary, or messages to append), as a new checkpoint written as `as_node`; refused while a run is active",
      request: {
        params: ThreadParams,
        body: { ...json(StateUpdate, 'the update'), required: true },
      },
      responses: {
        200: json(StateUpdated, 'the new checkpoint'),
        400: failed,
        404: failed,
        409: failed,
      },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const body = c.req.valid('json');
      const active = await deps.store.activeRunsOf(thread_id);
      if (active.length > 0) {
        throw new AtolyeError(
          'THREAD_BUSY',
          `thread ${thread_id} is busy with run ${active[0]?.runId}; change its state once the run has ended`,
        );
      }
      const checkpointId = body.checkpoint_id ?? body.checkpoint?.checkpoint_id;
      const written = await deps.executor.timeline.update(thread_id, body.values, {
        ...(body.as_node === undefined ? {} : { asNode: body.as_node }),
        ...(checkpointId === undefined ? {} : { checkpointId }),
      });
      return c.json(
        { checkpoint: { thread_id, checkpoint_ns: '' as const, checkpoint_id: written } },
        200,
      );
    },
  );
}
