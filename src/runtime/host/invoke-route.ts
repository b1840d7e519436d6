import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallMeta } from '../contract.js';
import { ReplayGuard, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from '../signing.js';
import { parseCallBody } from './call-body.js';
import { HttpError, JSON_TYPE, headerValue, readBody, send } from './http.js';
import { callFingerprint, type IdempotencyCache, type ReplyCodec } from './idempotency.js';
import type { HostLogger } from './log.js';
import { outcomeOf, type HostMetrics } from './metrics.js';
import type { Registry } from './registry.js';
import type { HostInvokeOutcome, Pool } from './types.js';

export const FN_PREFIX = '/fn/';
const MAX_KEY_CHARS = 255;

export interface InvokeRouteDeps {
  signingSecret: string;
  registry: Registry;
  metrics: HostMetrics;
  logger: HostLogger;
  idempotency: IdempotencyCache<Reply>;
  /** Accepts each signature once; a fresh one with the default cap when absent. */
  replay?: ReplayGuard;
  bodyLimitBytes: number;
}

/** A reply as it went out, kept for idempotent repeats (headers are rebuilt per request). */
export interface Reply {
  status: number;
  body: string;
  retryAfter?: string;
  retryable: boolean;
}

/**
 * A reply as other hosts keep it: status, body and the one header that is not rebuilt. Only
 * replies that are not retryable are kept, so one read back is not retryable either.
 */
const SHARED_REPLY: ReplyCodec<Reply> = {
  toStored: ({ status, body, retryAfter }) => {
    const headers: Record<string, string> = {};
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    return { status, body, headers };
  },
  fromStored: ({ status, body, headers }) => ({
    status,
    body,
    retryAfter: headers['retry-after'],
    retryable: false,
  }),
};

/**
 * `POST /fn/{name}`: size limit, signature, lookup, body shape, idempotency, then the pool (a
 * call that runs spends its signature, so the same signed bytes never run twice). The
 * hot path of the host, so it does each step once and writes the reply in one call.
 */
export function createInvokeRoute(deps: InvokeRouteDeps) {
  const { registry, metrics, logger, idempotency } = deps;
  const replay = deps.replay ?? new ReplayGuard();

  /** A call about to run spends its signature; a second use is a replay, never a second run. */
  function spend(signature: string, timestampMs: number): void {
    const accepted = replay.accept(signature, timestampMs);
    if (accepted.ok) return;
    if (accepted.reason === 'replayed') {
      throw new HttpError(
        'SIGNATURE_REPLAYED',
        'this signed request was already accepted once: sign every request anew, a retry too ' +
          '(a fresh x-atolye-timestamp), and repeat a call under its idempotency-key',
      );
    }
    const seconds = Math.max(1, Math.ceil(accepted.retryAfterMs / 1000));
    throw new HttpError(
      'REPLAY_GUARD_FULL',
      `too many signed calls in the last 5 minutes: the host remembers each one to refuse ` +
        `replays and takes new ones as the oldest expire, in ${seconds} s`,
      { retryable: true, headers: { 'retry-after': String(seconds) } },
    );
  }

  async function execute(pool: Pool, input: unknown, meta: CallMeta): Promise<Reply> {
    const { name, version } = pool.spec;
    const result = await pool.invoke(input, meta);
    metrics.observe(name, result);
    const status = result.ok ? 200 : result.status;
    const fields = {
      function: name,
      status,
      outcome: outcomeOf(result),
      durationMs: round(result.durationMs),
      coldStart: result.coldStart,
      worker: result.worker,
      code: result.ok ? undefined : result.error.code,
    };
    // Written once the reply is out (an immediate runs after this turn's socket writes, and
    // keeps the request's log context): the line costs the caller no latency.
    setImmediate(() => {
      if (status >= 500) logger.system.warn(`invoked ${name}: ${status}`, fields);
      else logger.system.info(`invoked ${name}: ${status}`, fields);
    });
    return toReply(result, version);
  }

  return async function invoke(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    requestId: string,
  ): Promise<void> {
    if (req.method !== 'POST') {
      throw new HttpError('METHOD_NOT_ALLOWED', `${path} only takes POST`, {
        headers: { allow: 'POST' },
      });
    }
    const name = path.slice(FN_PREFIX.length);
    const body = await readBody(req, deps.bodyLimitBytes);
    const verdict = verify(
      deps.signingSecret,
      { method: 'POST', path, body },
      headerValue(req, TIMESTAMP_HEADER),
      headerValue(req, SIGNATURE_HEADER),
    );
    if (!verdict.ok) throw new HttpError('SIGNATURE_INVALID', verdict.reason);
    const { signature, timestampMs } = verdict;
    const pool = registry.get(name);
    if (!pool)
      throw new HttpError(
        'FUNCTION_NOT_FOUND',
        `no function named "${name}" is deployed on this host`,
      );
    const key = headerValue(req, 'idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > MAX_KEY_CHARS)) {
      throw new HttpError(
        'INVALID_REQUEST',
        `idempotency-key: must be 1 to ${MAX_KEY_CHARS} characters`,
      );
    }
    const call = parseCallBody(body);
    const given = call.meta;
    const meta: CallMeta = {
      invocationId: given.invocationId ?? randomUUID(),
      requestId,
      threadId: given.threadId,
      runId: given.runId,
      step: given.step,
      attempt: given.attempt,
    };
    const context = {
      requestId,
      invocationId: meta.invocationId,
      function: name,
      threadId: meta.threadId,
      runId: meta.runId,
      step: meta.step,
    };
    await logger.withContext(context, async () => {
      let reply: Reply;
      let replayed = false;
      // Spent only by a call that runs: a keyed repeat answered from the cache runs nothing.
      const runOnce = (): Promise<Reply> => {
        spend(signature, timestampMs);
        return execute(pool, call.input, meta);
      };
      if (key === undefined) {
        reply = await runOnce();
      } else {
        const { threadId, runId, step } = meta;
        const fingerprint = callFingerprint({
          function: name,
          input: call.input,
          threadId,
          runId,
          step,
        });
        ({ reply, replayed } = await idempotency.run(
          key,
          fingerprint,
          runOnce,
          (stored) => !stored.retryable,
          SHARED_REPLY,
        ));
        if (replayed) {
          logger.system.info(`replayed ${name}: ${reply.status} (idempotency key seen before)`, {
            function: name,
            status: reply.status,
            idempotent: true,
          });
        }
      }
      const headers: Record<string, string> = {
        'content-type': JSON_TYPE,
        'x-request-id': requestId,
      };
      if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
      if (replayed) headers['idempotent-replayed'] = 'true';
      send(res, reply.status, reply.body, headers);
    });
  };
}

function toReply(result: HostInvokeOutcome, version: string): Reply {
  if (result.ok) {
    const meta = {
      durationMs: round(result.durationMs),
      coldStart: result.coldStart,
      worker: result.worker,
      version,
    };
    return { status: 200, body: JSON.stringify({ output: result.output, meta }), retryable: false };
  }
  return {
    status: result.status,
    body: JSON.stringify({ error: result.error }),
    retryAfter: result.retryAfterS === undefined ? undefined : String(result.retryAfterS),
    retryable: result.error.retryable,
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
