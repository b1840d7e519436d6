import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import { assistantsOf, type AssistantRecord } from '../../assistants-store.js';
import { ownerOf, scopeOf, type Caller } from '../access.js';
import type { ApiApp, ApiDeps } from '../types.js';
import { agentGraphJson, agentSchemas } from '../assistant-graph.js';
import {
  assertChangeable,
  BUILT_IN_ASSISTANT,
  findAssistant,
  isBuiltIn,
} from '../assistant-catalog.js';
import { Assistant, ASSISTANT_ID } from '../schemas.js';
import {
  AssistantCreate,
  AssistantDeleteQuery,
  AssistantGraph,
  AssistantGraphQuery,
  AssistantPatch,
  AssistantSchemas,
  AssistantSearch,
} from '../schemas-threads.js';
import { toApiAssistant } from '../serialize.js';
import { failed, json } from './shapes.js';

/**
 * Assistants: the built-in `atolye` and variants of it with run settings fixed
 * (`config.configurable`), as LangGraph Platform's assistants are. LangGraph clients look one up
 * before they start runs; `…/graph` and `…/schemas` describe the agent for tools such as Studio.
 */

const Params = z.object({ assistant_id: z.string().min(1).max(200) });

export function addAssistantRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/assistants',
      summary:
        'Create a variant of the agent with its own run settings (config.configurable), owned as a thread is',
      request: { body: { ...json(AssistantCreate, 'the assistant'), required: true } },
      responses: { 200: json(Assistant, 'the assistant'), 400: failed, 404: failed, 409: failed },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const caller = c.get('caller');
      const assistantId = body.assistant_id ?? randomUUID();
      const created = isBuiltIn(assistantId)
        ? undefined
        : await assistantsOf(deps.store).create({
            assistantId,
            graphId: body.graph_id,
            name: body.name ?? 'Untitled',
            description: body.description ?? null,
            configurable: body.config?.configurable ?? {},
            metadata: body.metadata ?? {},
            owner: ownerOf(caller),
          });
      if (created) return c.json(toApiAssistant(created), 200);
      // Only a key that may see the assistant learns that it exists, as for threads.
      const existing = isBuiltIn(assistantId)
        ? BUILT_IN_ASSISTANT
        : await assistantsOf(deps.store).get(assistantId, scopeOf(caller));
      if (!existing) {
        throw new AtolyeError(
          'ASSISTANT_NOT_FOUND',
          `no assistant ${assistantId} for this key, and the id cannot be used for a new one: leave assistant_id out to get a fresh id`,
        );
      }
      if (body.if_exists !== 'do_nothing') {
        throw new AtolyeError(
          'ASSISTANT_EXISTS',
          `assistant ${assistantId} exists already; send if_exists "do_nothing" to reuse it, or leave assistant_id out`,
        );
      }
      return c.json(toApiAssistant(existing), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/assistants/search',
      summary:
        'The built-in assistant and the variants this key may see, newest first; X-Pagination-Total and X-Pagination-Next headers',
      request: { body: { ...json(AssistantSearch, 'filters and paging'), required: false } },
      responses: { 200: json(z.array(Assistant), 'the assistants'), 400: failed },
    }),
    async (c) => {
      const query = c.req.valid('json');
      const { limit = 10, offset = 0, sort_by = 'created_at', sort_order = 'desc' } = query;
      const variants = await assistantsOf(deps.store).search(scopeOf(c.get('caller')), {
        graphId: query.graph_id,
        name: query.name,
        metadata: query.metadata,
      });
      const builtInMatches =
        (query.graph_id === undefined || query.graph_id === ASSISTANT_ID) &&
        (query.name === undefined || ASSISTANT_ID.includes(query.name.toLowerCase())) &&
        Object.keys(query.metadata ?? {}).length === 0;
      const sign = sort_order === 'asc' ? 1 : -1;
      const found = [...(builtInMatches ? [BUILT_IN_ASSISTANT] : []), ...variants]
        .map(toApiAssistant)
        .sort(
          (a, b) =>
            sign * String(a[sort_by]).localeCompare(String(b[sort_by])) ||
            a.assistant_id.localeCompare(b.assistant_id),
        );
      const page = found.slice(offset, offset + limit);
      c.header('X-Pagination-Total', String(found.length));
      if (offset + limit < found.length) c.header('X-Pagination-Next', String(offset + limit));
      const select = query.select;
      const shown = select
        ? page.map((assistant) =>
            Object.fromEntries(select.map((field) => [field, assistant[field]])),
          )
        : page;
      return c.json(shown as z.infer<typeof Assistant>[], 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/assistants/{assistant_id}',
      summary: 'One assistant, by id (the built-in one also by its graph id, atolye)',
      request: { params: Params },
      responses: { 200: json(Assistant, 'the assistant'), 404: failed },
    }),
    async (c) => {
      const { assistant_id } = c.req.valid('param');
      return c.json(toApiAssistant(await find(deps, assistant_id, c.get('caller'))), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/assistants/{assistant_id}',
      summary:
        'Change a variant: name, description, config (replaced) or metadata (merged); its version goes up',
      request: {
        params: Params,
        body: { ...json(AssistantPatch, 'the changes'), required: true },
      },
      responses: {
        200: json(Assistant, 'the assistant'),
        400: failed,
        404: failed,
        409: failed,
      },
    }),
    async (c) => {
      const { assistant_id } = c.req.valid('param');
      const body = c.req.valid('json');
      await find(deps, assistant_id, c.get('caller'));
      assertChangeable(assistant_id, 'changed');
      const changed = (await assistantsOf(deps.store).update(assistant_id, {
        name: body.name,
        description: body.description,
        configurable: body.config === undefined ? undefined : (body.config.configurable ?? {}),
        metadata: body.metadata,
      })) as AssistantRecord;
      return c.json(toApiAssistant(changed), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/assistants/{assistant_id}',
      summary: 'Delete a variant (its threads and runs stay)',
      request: { params: Params, query: AssistantDeleteQuery },
      responses: { 204: { description: 'deleted' }, 400: failed, 404: failed, 409: failed },
    }),
    async (c) => {
      const { assistant_id } = c.req.valid('param');
      await find(deps, assistant_id, c.get('caller'));
      assertChangeable(assistant_id, 'deleted');
      await assistantsOf(deps.store).delete(assistant_id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/assistants/{assistant_id}/graph',
      summary: "The agent's graph (nodes and edges) in LangGraph's drawable-graph JSON",
      request: { params: Params, query: AssistantGraphQuery },
      responses: { 200: json(AssistantGraph, 'the graph'), 400: failed, 404: failed },
    }),
    async (c) => {
      await find(deps, c.req.valid('param').assistant_id, c.get('caller'));
      return c.json(await agentGraphJson(), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/assistants/{assistant_id}/schemas',
      summary: "The agent's input, state and config as JSON Schema",
      request: { params: Params },
      responses: { 200: json(AssistantSchemas, 'the schemas'), 404: failed },
    }),
    async (c) => {
      await find(deps, c.req.valid('param').assistant_id, c.get('caller'));
      return c.json(agentSchemas(), 200);
    },
  );
}

function find(deps: ApiDeps, assistantId: string, caller: Caller): Promise<AssistantRecord> {
  return findAssistant(deps, assistantId, scopeOf(caller));
}
