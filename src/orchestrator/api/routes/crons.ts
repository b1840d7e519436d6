import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import type { CronFilter, CronRecord } from '../../crons-store.js';
import { webhookPolicyFor } from '../../webhook-policy.js';
import { scopeOf } from '../access.js';
import { noteIds } from '../respond.js';
import type { ApiApp, ApiDeps } from '../types.js';
import { ASSISTANT_ID, ASSISTANT_UUID, ThreadId } from '../schemas.js';
import {
  Cron,
  CronCount,
  CronCreate,
  CronSearch,
  CronUpdate,
  ThreadCronCreate,
  type CRON_FIELDS,
} from '../schemas-crons.js';
import { failed, json } from './shapes.js';

/** Crons: LangGraph Platform's `/runs/crons` routes; the scheduler (crons.ts) does the work. */

const ThreadParams = z.object({ thread_id: ThreadId });
const CronParams = z.object({ cron_id: z.string().min(1) });

export function toApiCron(cron: CronRecord): z.infer<typeof Cron> {
  return {
    cron_id: cron.cronId,
    assistant_id: ASSISTANT_UUID,
    thread_id: cron.threadId,
    on_run_completed: cron.onRunCompleted,
    end_time: cron.endTime,
    schedule: cron.schedule,
    timezone: 'UTC',
    created_at: cron.createdAt,
    updated_at: cron.updatedAt,
    payload: { ...cron.payload, assistant_id: ASSISTANT_UUID, metadata: cron.metadata },
    user_id: cron.owner,
    next_run_date: cron.nextRunDate,
    metadata: cron.metadata,
    enabled: cron.enabled,
  };
}

/** A search's or count's filters; every cron runs the one assistant, so another id matches none. */
function filterOf(query: z.infer<typeof CronCount> & { enabled?: boolean }): CronFilter | null {
  if (![undefined, ASSISTANT_ID, ASSISTANT_UUID].includes(query.assistant_id)) return null;
  return { threadId: query.thread_id, enabled: query.enabled, metadata: query.metadata };
}

function pick(
  cron: z.infer<typeof Cron>,
  fields: readonly (typeof CRON_FIELDS)[number][] | undefined,
): Record<string, unknown> {
  if (!fields) return cron;
  return Object.fromEntries(fields.map((field) => [field, cron[field]]));
}

export function addCronRoutes(app: ApiApp, deps: ApiDeps): void {
  const checkWebhook = async (url: string | null | undefined): Promise<void> => {
    if (url) await webhookPolicyFor(deps.config, deps.hostUrl).check(url);
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs/crons',
      summary:
        'Create a cron: each firing starts a run on a new thread owned as the cron is (schedule in UTC)',
      request: { body: { ...json(CronCreate, 'the cron'), required: true } },
      responses: { 200: json(Cron, 'the cron'), 400: failed },
    }),
    async (c) => {
      const body = c.req.valid('json');
      await checkWebhook(body.webhook);
      return c.json(toApiCron(await deps.crons.create(c.get('caller'), null, body)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/runs/crons',
      summary: 'Create a cron whose firings start runs on this thread (schedule in UTC)',
      request: {
        params: ThreadParams,
        body: { ...json(ThreadCronCreate, 'the cron'), required: true },
      },
      responses: { 200: json(Cron, 'the cron'), 400: failed, 404: failed },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      const body = c.req.valid('json');
      noteIds(c, { threadId: thread_id });
      await checkWebhook(body.webhook);
      return c.json(toApiCron(await deps.crons.create(c.get('caller'), thread_id, body)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs/crons/search',
      summary: "Crons this key may see (its own, its team's; all for an admin key), newest first",
      request: { body: { ...json(CronSearch, 'filters and paging'), required: false } },
      responses: { 200: json(z.array(Cron.partial()), 'the crons'), 400: failed },
    }),
    async (c) => {
      const query = c.req.valid('json');
      const filter = filterOf(query);
      if (!filter) return c.json([], 200);
      // All crons have the one assistant: sorting by it is sorting by creation.
      const by = query.sort_by === 'assistant_id' ? 'created_at' : (query.sort_by ?? 'created_at');
      const crons = await deps.crons.store.find(
        filter,
        scopeOf(c.get('caller')),
        { by, order: query.sort_order ?? 'desc' },
        { limit: query.limit ?? 10, offset: query.offset ?? 0 },
      );
      return c.json(
        crons.map((cron) => pick(toApiCron(cron), query.select)),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs/crons/count',
      summary: 'How many crons this key may see match the filters',
      request: { body: { ...json(CronCount, 'filters'), required: false } },
      responses: { 200: json(z.number().int(), 'the count'), 400: failed },
    }),
    async (c) => {
      const filter = filterOf(c.req.valid('json'));
      const count = filter ? await deps.crons.store.count(filter, scopeOf(c.get('caller'))) : 0;
      return c.json(count, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/runs/crons/{cron_id}',
      summary: 'Change a cron; fields left out stay as they were',
      request: { params: CronParams, body: { ...json(CronUpdate, 'the changes'), required: true } },
      responses: { 200: json(Cron, 'the cron'), 400: failed, 404: failed },
    }),
    async (c) => {
      const { cron_id } = c.req.valid('param');
      const body = c.req.valid('json');
      await checkWebhook(body.webhook);
      const cron = await deps.crons.update(cron_id, scopeOf(c.get('caller')), body);
      return c.json(toApiCron(cron), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/runs/crons/{cron_id}',
      summary: 'Delete a cron; runs it started go on',
      request: { params: CronParams },
      responses: { 204: { description: 'deleted' }, 404: failed },
    }),
    async (c) => {
      await deps.crons.delete(c.req.valid('param').cron_id, scopeOf(c.get('caller')));
      return c.body(null, 204);
    },
  );
}
