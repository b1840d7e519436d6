import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import type { RunRecord } from '../../runs-store.js';
import { FINISHED_STATUSES } from '../../status.js';
import type { ApiApp, ApiDeps, ApiEnv } from '../app.js';
import { RunCreate, STREAM_MODES, ThreadId } from '../schemas.js';
import { findRun } from '../serialize.js';
import { failed } from './shapes.js';
import { createRun, locate } from './runs.js';

/** A comment line this often keeps proxies from closing a quiet stream and lets clients notice a dead one. */
const HEARTBEAT_MS = 15_000;
/** Events every stream carries, whatever modes it asked for. */
const ALWAYS = new Set(['metadata', 'error', 'end']);

const sse = {
  content: { 'text/event-stream': { schema: z.string() } },
  description:
    'Server-sent events: `metadata` first, then `values` / `updates` / `custom`, `error` on failure and `end` last; each event has an `id` for Last-Event-ID.',
};

export function addStreamRoutes(app: ApiApp, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/runs/stream',
      summary: 'Start a run and stream its events',
      request: {
        params: z.object({ thread_id: ThreadId }),
        body: { content: { 'application/json': { schema: RunCreate } }, required: true },
      },
      responses: { 200: sse, 400: failed, 404: failed, 409: failed },
    }),
    (c) => {
      const body = c.req.valid('json');
      const run = createRun(deps, c.req.valid('param').thread_id, body);
      const modes = modesOf(body.stream_mode ?? ['values']);
      return streamRun(c, deps, run, modes, 0);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/runs/{run_id}/stream',
      summary: "Re-attach to a run's stream; resumes after the Last-Event-ID header",
      request: {
        params: z.object({ thread_id: ThreadId, run_id: z.string().min(1) }),
        query: z.object({ stream_mode: z.union([z.string(), z.array(z.string())]).optional() }),
      },
      responses: { 200: sse, 400: failed, 404: failed },
    }),
    (c) => {
      const { thread_id, run_id } = c.req.valid('param');
      const run = findRun(deps.store, thread_id, run_id);
      const asked = c.req.queries('stream_mode');
      const modes = modesOf(asked && asked.length > 0 ? asked : [...STREAM_MODES]);
      return streamRun(c, deps, run, modes, lastEventId(c.req.header('last-event-id')));
    },
  );
}

function modesOf(asked: string | readonly string[]): Set<string> {
  const modes = typeof asked === 'string' ? [asked] : asked;
  const unknown = modes.filter((mode) => !(STREAM_MODES as readonly string[]).includes(mode));
  if (unknown.length > 0) {
    throw new AtolyeError(
      'RUN_INVALID',
      `stream_mode ${unknown.join(', ')} is not supported; use ${STREAM_MODES.join(', ')}`,
    );
  }
  return new Set(modes);
}

function lastEventId(header: string | undefined): number {
  if (header === undefined || header === '') return 0;
  const seq = Number(header);
  // LangGraph clients send -1 to mean "from the start".
  if (seq === -1) return 0;
  if (!Number.isInteger(seq) || seq < 0) {
    throw new AtolyeError(
      'RUN_INVALID',
      `Last-Event-ID "${header}" is not an event id of this API`,
    );
  }
  return seq;
}

/** Sends the run's events after `after` from the store, then each new one as it is written. */
function streamRun(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  run: RunRecord,
  modes: Set<string>,
  after: number,
): Response {
  locate(c, run);
  const query = [...modes].map((mode) => `stream_mode=${mode}`).join('&');
  c.header('Location', `${c.res.headers.get('Content-Location') ?? ''}/stream?${query}`);
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    let seq = after;
    while (!gone.signal.aborted) {
      const batch = deps.events.after(run.runId, seq);
      for (const event of batch) {
        seq = event.seq;
        if (!ALWAYS.has(event.event) && !modes.has(event.event)) continue;
        await stream.writeSSE({
          id: String(event.seq),
          event: event.event,
          data: JSON.stringify(event.data),
        });
        if (event.event === 'end') return;
      }
      if (batch.length > 0) continue;
      const current = deps.store.get(run.runId);
      // Ended with no `end` left to send (e.g. the client has read it already): nothing will come.
      if (
        current &&
        FINISHED_STATUSES.includes(current.status) &&
        deps.events.after(run.runId, seq).length === 0
      ) {
        return;
      }
      const before = seq;
      await deps.events.next(run.runId, before, HEARTBEAT_MS, gone.signal);
      if (!gone.signal.aborted && deps.events.after(run.runId, before).length === 0) {
        await stream.write(': heartbeat\n\n');
      }
    }
  });
}
