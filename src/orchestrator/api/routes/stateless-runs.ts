import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { errorMessage } from '../../../errors.js';
import { log } from '../../../logging/index.js';
import type { RunRecord } from '../../runs-store.js';
import { removeThread } from '../../thread-removal.js';
import { ownerOf, type Caller } from '../access.js';
import type { ApiApp, ApiDeps } from '../types.js';
import { Run, RunValues } from '../schemas.js';
import { StatelessRunCreate } from '../schemas-threads.js';
import { toApiRun } from '../serialize.js';
import { createRun, outcome } from '../run-service.js';
import { locate } from './runs.js';
import { failed, json } from './shapes.js';
import { modesOf, streamRun } from './stream.js';

/**
 * Runs without a thread (`client.runs.create(null, …)`): each gets a temporary thread of the
 * caller's, which is removed, with its workspace and history, once the run has ended and its
 * answer has been sent, unless the body says `on_completion: "keep"` (LangGraph Platform's
 * default is "delete" too). The run is found meanwhile under its thread, as any run.
 */

type StatelessBody = z.infer<typeof StatelessRunCreate>;
const runBody = { body: { ...json(StatelessRunCreate, 'the run'), required: true } };

export function addStatelessRunRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs',
      summary:
        'Start a run on a new temporary thread, in the background; the thread is removed once the run ends unless on_completion is "keep"',
      request: runBody,
      responses: { 200: json(Run, 'the new run'), 400: failed, 404: failed },
    }),
    async (c) => {
      const { run, keep } = await startStateless(deps, c.get('caller'), c.req.valid('json'));
      locate(c, run);
      if (!keep) removeAfter(deps, run, Promise.resolve());
      return c.json(toApiRun(run), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs/wait',
      summary:
        'Start a run on a new temporary thread and answer with its values once it ends; the thread is removed then unless on_completion is "keep"',
      request: runBody,
      responses: { 200: json(RunValues, 'the final values'), 400: failed, 404: failed },
    }),
    async (c) => {
      const caller = c.get('caller');
      const { run, keep } = await startStateless(deps, caller, c.req.valid('json'));
      locate(c, run);
      const values = outcome(deps, caller, run);
      if (!keep) removeAfter(deps, run, values);
      return c.json(await values, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/runs/stream',
      summary:
        'Start a run on a new temporary thread and stream its events; the thread is removed after the stream unless on_completion is "keep"',
      request: runBody,
      responses: {
        200: {
          content: { 'text/event-stream': { schema: z.string() } },
          description: 'Server-sent events, as POST /threads/{thread_id}/runs/stream sends them.',
        },
        400: failed,
        404: failed,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      // Checked before the thread is made: a bad mode leaves nothing behind.
      const modes = modesOf(body.stream_mode ?? ['values']);
      const { run, keep } = await startStateless(deps, c.get('caller'), body);
      const response = streamRun(c, deps, run, modes, 0);
      if (keep || !response.body) return response;
      // The thread goes once the client has read the stream to its end, or has gone away.
      let ended: () => void = () => undefined;
      const streamed = new Promise<void>((resolve) => (ended = resolve));
      const reader = response.body.getReader();
      const watched = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (!done) return controller.enqueue(value);
          controller.close();
          ended();
        },
        cancel(reason) {
          ended();
          return reader.cancel(reason);
        },
      });
      removeAfter(deps, run, streamed);
      return new Response(watched, response);
    },
  );
}

async function startStateless(
  deps: ApiDeps,
  caller: Caller,
  body: StatelessBody,
): Promise<{ run: RunRecord; keep: boolean }> {
  const { on_completion, ...runBody } = body;
  const threadId = randomUUID();
  await deps.store.createThread(threadId, {}, ownerOf(caller));
  try {
    const run = await createRun(deps, caller, threadId, runBody);
    return { run, keep: on_completion === 'keep' };
  } catch (error) {
    // A refused run (a webhook, an assistant) leaves no empty thread behind.
    await removeThread(deps, threadId).catch(() => undefined);
    throw error;
  }
}

/** Removes the run's thread once the run has ended and `answered` has settled. */
function removeAfter(deps: ApiDeps, run: RunRecord, answered: Promise<unknown>): void {
  void Promise.allSettled([deps.executor.waitFor(run.runId), answered])
    .then(() => removeThread(deps, run.threadId))
    .catch((error: unknown) => {
      (deps.logging ?? { log }).log('system').warn('a stateless run left its thread behind', {
        threadId: run.threadId,
        runId: run.runId,
        err: errorMessage(error),
      });
    });
}
