import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import type { ApiApp } from '../app.js';
import { failed } from './shapes.js';
import { Assistant, AssistantSearch, ASSISTANT_ID, ASSISTANT_UUID } from '../schemas.js';

const CREATED = '2026-01-01T00:00:00.000Z';

/** The one assistant: the coding agent. LangGraph clients look it up before they start runs. */
const ASSISTANT = {
  assistant_id: ASSISTANT_UUID,
  graph_id: ASSISTANT_ID,
  name: ASSISTANT_ID,
  description: 'Plans, writes and runs code in the thread workspace, checks it, and reports.',
  config: {},
  context: {},
  metadata: {},
  version: 1,
  created_at: CREATED,
  updated_at: CREATED,
};

export function addAssistantRoutes(app: ApiApp): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/assistants/search',
      summary: 'The assistants (there is one: atolye)',
      request: {
        body: { content: { 'application/json': { schema: AssistantSearch } }, required: false },
      },
      responses: {
        200: {
          content: { 'application/json': { schema: z.array(Assistant) } },
          description: 'assistants',
        },
      },
    }),
    (c) => {
      const { graph_id, offset = 0 } = c.req.valid('json');
      const found = graph_id === undefined || graph_id === ASSISTANT_ID ? [ASSISTANT] : [];
      return c.json(found.slice(offset), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/assistants/{assistant_id}',
      summary: 'One assistant, by id or graph id',
      request: { params: z.object({ assistant_id: z.string() }) },
      responses: {
        200: {
          content: { 'application/json': { schema: Assistant } },
          description: 'the assistant',
        },
        404: failed,
      },
    }),
    (c) => {
      const { assistant_id } = c.req.valid('param');
      if (assistant_id !== ASSISTANT_ID && assistant_id !== ASSISTANT_UUID) {
        throw new AtolyeError(
          'ASSISTANT_NOT_FOUND',
          `no assistant ${assistant_id}; the only one is "${ASSISTANT_ID}"`,
        );
      }
      return c.json(ASSISTANT, 200);
    },
  );
}
