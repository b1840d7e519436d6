import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import type { RunRecord } from '../../runs-store.js';
import { FINISHED_STATUSES } from '../../status.js';
import { scopeOf, type Caller } from '../access.js';
import type { ApiApp, ApiDeps, ApiEnv } from '../types.js';
import { KEY_CHECK_MS, keyRevokedError } from '../key-watch.js';
import {
  DEFAULT_JOIN_MODES,
  refusalOf,
  StreamRenderer,
  type StreamMode,
  type StreamPart,
} from '../../stream-modes.js';
import { RunCreate, StreamQuery, ThreadId } from '../schemas.js';
import { findRun } from '../serialize.js';
import { failed } from './shapes.js';
import { createRun } from '../run-service.js';
import { locate } from './runs.js';

/** A comment line this often keeps proxies from closing a quiet stream and lets clients notice a dead one. */
const HEARTBEAT_MS = 15_000;
/** How long after a run's row says it ended its `end` event may still be on its way. */
const END_GRACE_MS = 5_000;

const sse = {
  content: { 'text/event-stream': { schema: z.string() } },
  description:
    'Server-sent events: `metadata` first, then the events of the modes asked for (`values`, `updates`, `messages/metadata` + `messages/complete` for messages, `messages` for messages-tuple, `debug`, `checkpoints`, `tasks`, `custom`), `error` on failure and `end` last; each event has an `id` for Last-Event-ID.',
};

/**
 * Where a stream starts: after the stored event `seq`, or within it after its server-sent event
 * `part` (a stored event can send several: a message in `messages` mode sends two).
 */
export interface StreamCursor {
  seq: number;
  part?: number;
}

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
        query: StreamQuery,
      },
      responses: { 200: sse, 400: failed, 404: failed },
    }),
    async (c) => {
      const { thread_id, run_id } = c.req.valid('param');
      const run = await findRun(deps.store, thread_id, run_id, scopeOf(c.get('caller')));
      const asked = c.req.queries('stream_mode');
      const modes = modesOf(asked && asked.length > 0 ? asked : DEFAULT_JOIN_MODES);
      return streamRun(c, deps, run, modes, lastEventId(c.req.header('last-event-id')));
    },
  );
}

export function modesOf(asked: string | readonly string[]): Set<StreamMode> {
  const modes = typeof asked === 'string' ? [asked] : asked;
  const refusal = refusalOf(modes);
  if (refusal !== undefined) throw new AtolyeError('RUN_INVALID', `stream_mode ${refusal}`);
  return new Set(modes as StreamMode[]);
}

/** An event id this API sent: `<seq>`, or `<seq>:<part>` for one of several from one stored event. */
function lastEventId(header: string | undefined): StreamCursor {
  if (header === undefined || header === '') return { seq: 0 };
  // LangGraph clients send -1 to mean "from the start".
  if (header === '-1') return { seq: 0 };
  const match = /^(\d+)(?::(\d+))?$/.exec(header);
  if (!match) {
    throw new AtolyeError(
      'RUN_INVALID',
      `Last-Event-ID "${header}" is not an event id of this API`,
    );
  }
  return { seq: Number(match[1]), ...(match[2] === undefined ? {} : { part: Number(match[2]) }) };
}

/**
 * Sends the run's events after `from` from the store, then each new one as it is written, as the
 * server-sent events of `modes`. The key is checked again every KEY_CHECK_MS: once it is revoked
 * the stream sends an `error` event (API_KEY_REVOKED) and ends.
 */
export function streamRun(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  run: RunRecord,
  modes: Set<StreamMode>,
  from: StreamCursor | number,
): Response {
  const start = typeof from === 'number' ? { seq: from } : from;
  locate(c, run);
  const query = [...modes].map((mode) => `stream_mode=${mode}`).join('&');
  c.header('Location', `${c.res.headers.get('Content-Location') ?? ''}/stream?${query}`);
  const caller: Caller = c.get('caller');
  // The events are read in the caller's scope too: the store never hands out another's.
  const scope = scopeOf(caller);
  return streamSSE(c, async (stream) => {
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    const renderer = new StreamRenderer(modes, (event, before) =>
      deps.events.lastBefore(run.runId, event, before, scope),
    );
    // A cut inside a stored event reads that event again and skips the parts already sent.
    let seq = start.part === undefined ? start.seq : start.seq - 1;
    let keyCheckedAt = Date.now();
    let wroteAt = Date.now();
    while (!gone.signal.aborted) {
      if (Date.now() - keyCheckedAt >= KEY_CHECK_MS) {
        keyCheckedAt = Date.now();
        if (!(await deps.keys.isLive(caller.id))) {
          const { code, message } = keyRevokedError(caller);
          // No id: the event is not the run's, and Last-Event-ID must not move past it.
          await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: code, message }) });
          return;
        }
      }
      const batch = await deps.events.after(run.runId, seq, scope);
      for (const event of batch) {
        seq = event.seq;
        const parts = await renderer.render(event);
        const sent = event.seq === start.seq ? (start.part ?? -1) : -1;
        for (let part = sent + 1; part < parts.length; part += 1) {
          const { event: name, data } = parts[part] as StreamPart;
          await stream.writeSSE({
            id: parts.length === 1 ? String(event.seq) : `${event.seq}:${part}`,
            event: name,
            data: JSON.stringify(data),
          });
          wroteAt = Date.now();
        }
        if (event.event === 'end') return;
      }
      if (batch.length > 0) continue;
      const current = await deps.store.get(run.runId);
      // Ended with no `end` left to send (the client has read it already): nothing will come.
      // The run's row says it ended a moment before its `end` event is stored; only a run whose
      // orchestrator died in between has none, and that is not waited for long.
      if (
        current &&
        FINISHED_STATUSES.includes(current.status) &&
        (await deps.events.after(run.runId, seq, scope)).length === 0 &&
        ((await deps.events.has(run.runId, 'end')) ||
          Date.now() - Date.parse(current.updatedAt) > END_GRACE_MS)
      ) {
        return;
      }
      const before = seq;
      const untilCheck = Math.max(0, keyCheckedAt + KEY_CHECK_MS - Date.now());
      await deps.events.next(run.runId, before, untilCheck, gone.signal);
      if (
        !gone.signal.aborted &&
        Date.now() - wroteAt >= HEARTBEAT_MS &&
        (await deps.events.after(run.runId, before, scope)).length === 0
      ) {
        await stream.write(': heartbeat\n\n');
        wroteAt = Date.now();
      }
    }
  });
}
