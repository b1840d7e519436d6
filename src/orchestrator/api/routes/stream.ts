import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import type { RunRecord } from '../../runs-store.js';
import { FINISHED_STATUSES } from '../../status.js';
import { scopeOf, type Caller } from '../access.js';
import type { ApiApp, ApiDeps, ApiEnv } from '../app.js';
import { KEY_CHECK_MS, keyRevokedError } from '../key-watch.js';
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
    async (c) => {
      const body = c.req.valid('json');
      const modes = modesOf(body.stream_mode ?? ['values']);
      const run = await createRun(deps, c.get('caller'), c.req.valid('param').thread_id, body);
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
      const run = findRun(deps.store, thread_id, run_id, scopeOf(c.get('caller')));
      const asked = c.req.queries('stream_mode');
      const modes = modesOf(asked && asked.length > 0 ? asked : [...STREAM_MODES]);
      return streamRun(c, deps, run, modes, lastEventId(c.req.header('last-event-id')));
    },
  );
}

export function modesOf(asked: string | readonly string[]): Set<string> {
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

/**
 * Sends the run's events after `after` from the store, then each new one as it is written. The
 * key is checked again every KEY_CHECK_MS: once it is revoked the stream sends an `error` event
 * (API_KEY_REVOKED) and ends.
 */
export function streamRun(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  run: RunRecord,
  modes: Set<string>,
  after: number,
): Response {
  locate(c, run);
  const query = [...modes].map((mode) => `stream_mode=${mode}`).join('&');
  c.header('Location', `${c.res.headers.get('Content-Location') ?? ''}/stream?${query}`);
  const caller: Caller = c.get('caller');
  // The events are read in the caller's scope too: the store never hands out another's.
  const scope = scopeOf(caller);
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    let seq = after;
    let keyCheckedAt = Date.now();
    let wroteAt = Date.now();
    while (!gone.signal.aborted) {
      if (Date.now() - keyCheckedAt >= KEY_CHECK_MS) {
        keyCheckedAt = Date.now();
        if (!deps.keys.isLive(caller.id)) {
          const { code, message } = keyRevokedError(caller);
          // No id: the event is not the run's, and Last-Event-ID must not move past it.
          await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: code, message }) });
          return;
        }
      }
      const batch = deps.events.after(run.runId, seq, scope);
      for (const event of batch) {
        seq = event.seq;
        if (!ALWAYS.has(event.event) && !modes.has(event.event)) continue;
        await stream.writeSSE({
          id: String(event.seq),
          event: event.event,
          data: JSON.stringify(event.data),
        });
        wroteAt = Date.now();
        if (event.event === 'end') return;
      }
      if (batch.length > 0) continue;
      const current = deps.store.get(run.runId);
      // Ended with no `end` left to send (e.g. the client has read it already): nothing will come.
      if (
        current &&
        FINISHED_STATUSES.includes(current.status) &&
        deps.events.after(run.runId, seq, scope).length === 0
      ) {
        return;
      }
      const before = seq;
      const untilCheck = Math.max(0, keyCheckedAt + KEY_CHECK_MS - Date.now());
      await deps.events.next(run.runId, before, untilCheck, gone.signal);
      if (
        !gone.signal.aborted &&
        Date.now() - wroteAt >= HEARTBEAT_MS &&
        deps.events.after(run.runId, before, scope).length === 0
      ) {
        await stream.write(': heartbeat\n\n');
        wroteAt = Date.now();
      }
    }
  });
}
