import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import { failed, json } from './shapes.js';
import { noteIds, type ApiApp, type ApiDeps } from '../app.js';
import { Thread, ThreadCreate, ThreadId, ThreadState } from '../schemas.js';
import { findThread, toApiState, toApiThread } from '../serialize.js';

const ThreadParams = z.object({ thread_id: ThreadId });

export function addThreadRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads',
      summary: 'Create a thread: a workspace and its history',
      request: { body: { ...json(ThreadCreate, 'the thread'), required: false } },
      responses: { 200: json(Thread, 'the thread'), 400: failed, 409: failed },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const threadId = body.thread_id ?? randomUUID();
      const created = deps.store.createThread(threadId, body.metadata ?? {});
      if (!created && body.if_exists !== 'do_nothing') {
        throw new AtolyeError(
          'THREAD_EXISTS',
          `thread ${threadId} exists already; send if_exists "do_nothing" to reuse it`,
        );
      }
      noteIds(c, { threadId });
      const thread = findThread(deps.store, threadId);
      return c.json(toApiThread(thread, deps.store.runsOf(threadId), undefined), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}',
      summary: 'A thread with its status and latest values',
      request: { params: ThreadParams },
      responses: { 200: json(Thread, 'the thread'), 404: failed },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      const thread = findThread(deps.store, thread_id);
      const state = await deps.executor.threadState(thread_id);
      return c.json(toApiThread(thread, deps.store.runsOf(thread_id), state), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/state',
      summary: "The thread's latest checkpoint",
      request: { params: ThreadParams },
      responses: { 200: json(ThreadState, 'the state'), 404: failed },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      findThread(deps.store, thread_id);
      return c.json(toApiState(thread_id, await deps.executor.threadState(thread_id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/search',
      summary: 'Threads, most recently active first',
      request: {
        body: {
          ...json(
            z.looseObject({
              limit: z.number().int().min(1).max(1000).optional(),
              offset: z.number().int().min(0).optional(),
            }),
            'paging',
          ),
          required: false,
        },
      },
      responses: { 200: json(z.array(Thread), 'the threads') },
    }),
    async (c) => {
      const { limit = 10, offset = 0 } = c.req.valid('json');
      const threads = deps.store
        .threads(limit, offset)
        .map((thread) => toApiThread(thread, deps.store.runsOf(thread.threadId), undefined));
      return c.json(threads, 200);
    },
  );
}
