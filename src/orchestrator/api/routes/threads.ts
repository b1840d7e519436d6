import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import { failed, json } from './shapes.js';
import { ownerOf, scopeOf } from '../access.js';
import { noteIds, type ApiApp, type ApiDeps } from '../app.js';
import { Thread, ThreadCreate, ThreadId, ThreadState } from '../schemas.js';
import { findThread, toApiState, toApiThread } from '../serialize.js';

const ThreadParams = z.object({ thread_id: ThreadId });

export function addThreadRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads',
      summary:
        "Create a thread: a workspace and its history, owned by the key's team or else the key; an id another key owns is 404, as for any read of it",
      request: { body: { ...json(ThreadCreate, 'the thread'), required: false } },
      responses: { 200: json(Thread, 'the thread'), 400: failed, 404: failed, 409: failed },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const caller = c.get('caller');
      const threadId = body.thread_id ?? randomUUID();
      const created = deps.store.createThread(threadId, body.metadata ?? {}, ownerOf(caller));
      noteIds(c, { threadId });
      if (!created) {
        // Only a key that may see the thread learns that it exists (409, or the thread itself).
        if (!deps.store.thread(threadId, scopeOf(caller))) {
          throw new AtolyeError(
            'THREAD_NOT_FOUND',
            `no thread ${threadId} for this key, and the id cannot be used for a new one: leave thread_id out to get a fresh id`,
          );
        }
        if (body.if_exists !== 'do_nothing') {
          throw new AtolyeError(
            'THREAD_EXISTS',
            `thread ${threadId} exists already; send if_exists "do_nothing" to reuse it`,
          );
        }
      }
      const thread = findThread(deps.store, threadId, scopeOf(caller));
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
      const thread = findThread(deps.store, thread_id, scopeOf(c.get('caller')));
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
      findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      return c.json(toApiState(thread_id, await deps.executor.threadState(thread_id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/search',
      summary:
        "Threads this key may see (its own, its team's; all for an admin key), most recently active first",
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
        .threads(scopeOf(c.get('caller')), limit, offset)
        .map((thread) => toApiThread(thread, deps.store.runsOf(thread.threadId), undefined));
      return c.json(threads, 200);
    },
  );
}
