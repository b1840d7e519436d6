import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import { failed, json } from './shapes.js';
import { ownerOf, scopeOf } from '../access.js';
import { noteIds } from '../respond.js';
import type { ApiApp, ApiDeps } from '../types.js';
import { copyThread } from '../../thread-copy.js';
import { removeThread } from '../../thread-removal.js';
import { searchThreads } from '../../thread-search.js';
import { Thread, ThreadId } from '../schemas.js';
import { ThreadCreate, ThreadPatch, ThreadSearch } from '../schemas-threads.js';
import { findThread, toApiThread } from '../serialize.js';

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
      const created = await deps.store.createThread(threadId, body.metadata ?? {}, ownerOf(caller));
      noteIds(c, { threadId });
      if (!created) {
        // Only a key that may see the thread learns that it exists (409, or the thread itself).
        if (!(await deps.store.thread(threadId, scopeOf(caller)))) {
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
      const thread = await findThread(deps.store, threadId, scopeOf(caller));
      return c.json(toApiThread(thread, undefined), 200);
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
      const thread = await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const state = await deps.executor.threadState(thread_id);
      return c.json(toApiThread(thread, state), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/threads/{thread_id}',
      summary: "Merge metadata into the thread's (the keys given replace those of the same name)",
      request: {
        params: ThreadParams,
        body: { ...json(ThreadPatch, 'the changes'), required: true },
      },
      responses: {
        200: json(Thread, 'the thread'),
        204: { description: 'changed (Prefer: return=minimal)' },
        400: failed,
        404: failed,
      },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const thread =
        (await deps.store.patchThreadMetadata(thread_id, c.req.valid('json').metadata ?? {})) ??
        (await findThread(deps.store, thread_id, { all: true })); // removed meanwhile: 404
      if (/\breturn=minimal\b/.test(c.req.header('prefer') ?? '')) return c.body(null, 204);
      const state = await deps.executor.threadState(thread_id);
      return c.json(toApiThread(thread, state), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/threads/{thread_id}',
      summary:
        'Delete the thread: its runs and their events, its checkpoints, its workspace and its repository; refused (409) while a run is pending or running',
      request: { params: ThreadParams },
      responses: { 204: { description: 'deleted' }, 404: failed, 409: failed },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      await removeThread(deps, thread_id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/copy',
      summary:
        "Copy the thread into a new one of the caller's: metadata, state and history, workspace files and their baseline (not its runs); refused (409) while a run is pending or running",
      request: { params: ThreadParams },
      responses: { 200: json(Thread, 'the new thread'), 404: failed, 409: failed },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      const caller = c.get('caller');
      const source = await findThread(deps.store, thread_id, scopeOf(caller));
      const copy = await copyThread(deps, source, ownerOf(caller));
      noteIds(c, { threadId: copy.threadId });
      const state = await deps.executor.threadState(copy.threadId);
      return c.json(toApiThread(copy, state), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/search',
      summary:
        "Threads this key may see (its own, its team's; all for an admin key), filtered by metadata, ids and status; most recently active first by default",
      request: { body: { ...json(ThreadSearch, 'filters and paging'), required: false } },
      responses: { 200: json(z.array(Thread), 'the threads'), 400: failed },
    }),
    async (c) => {
      const query = c.req.valid('json');
      const threads = await searchThreads(deps.store, scopeOf(c.get('caller')), {
        metadata: query.metadata,
        ids: query.ids,
        status: query.status,
        sortBy: query.sort_by,
        sortOrder: query.sort_order,
        limit: query.limit ?? 10,
        offset: query.offset ?? 0,
      });
      return c.json(
        threads.map((thread) => toApiThread(thread, undefined)),
        200,
      );
    },
  );
}
