import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { ErrorCode } from '../error-codes/index.js';
import { AtolyeError, relayedCode, type RelayedCode } from '../errors.js';
import { FUNCTION_NAME, type CallMeta, type InvocationMeta } from './contract.js';
import {
  isErrorLike,
  isRetryableBadReply,
  isRetryableReply,
  parseRetryAfter,
  transientNetworkCode,
} from './retry.js';
import { signatureHeaders } from './signing.js';

/**
 * The client side of `POST /fn/{name}`: signs the call, bounds it with a deadline, and makes one
 * attempt. It never retries: a failure comes back as an InvokeError saying whether another
 * attempt may help (`retryable`, and the host's `Retry-After`), and the caller's one retry layer
 * decides (for the agent, the graph's step retry policy). A caller that does retry sends the same
 * idempotency key again, so the host answers a call it already completed from its cache.
 */

const ReplyMeta = z.object({
  durationMs: z.number(),
  coldStart: z.boolean(),
  worker: z.union([z.string(), z.number()]),
  version: z.string(),
});
export type ReplyMeta = z.infer<typeof ReplyMeta>;

const SuccessReply = z.object({ output: z.unknown(), meta: ReplyMeta });
const ErrorReply = z.object({
  error: z.object({ code: z.string().min(1), message: z.string(), retryable: z.boolean() }),
});

/** Trace context passed through to the host; nothing else from the caller becomes a header. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
  'sentry-trace'?: string;
  baggage?: string;
}
const TRACE_HEADERS = ['traceparent', 'tracestate', 'sentry-trace', 'baggage'] as const;

export interface InvokerOptions {
  /** Where the worker host listens, e.g. `http://127.0.0.1:8787`; a path prefix is kept. */
  baseUrl: string;
  /** Shared with the host (`security.signingSecret`). */
  secret: string;
  /** Deadline of the call. */
  timeoutMs?: number;
  /**
   * @deprecated The client makes one attempt per call; only 0 is accepted, so callers written when
   * it retried still compile. Drop it: retries belong to the caller's one retry layer.
   */
  retries?: 0;
  fetch?: typeof fetch;
}

export interface InvokeOptions {
  /**
   * `invocationId` is generated when absent; `attempt` is the caller's own count (its retry
   * layer's attempt number), 1 when absent.
   */
  meta?: CallMeta;
  /** Send the same key again when retrying the call; derived from `meta` when absent. */
  idempotencyKey?: string;
  timeoutMs?: number;
  /** Aborting stops the call at once. */
  signal?: AbortSignal;
  headers?: TraceHeaders;
}

export interface InvokeResult<O> {
  /** As the function returned it; the host has validated it against the function's output schema. */
  output: O;
  meta: ReplyMeta;
}

export type Invoke = <O = unknown>(
  name: string,
  input: unknown,
  options?: InvokeOptions,
) => Promise<InvokeResult<O>>;

/** A failed call: the host's code and message, or one of the client's own `INVOKE_*` codes. */
export class InvokeError extends AtolyeError {
  /** HTTP status of the reply; undefined when no reply arrived. */
  readonly status: number | undefined;
  /** The host's `Retry-After`, when it sent one: how long it asked the caller to wait. */
  readonly retryAfterMs: number | undefined;
  readonly functionName: string;

  constructor(functionName: string, failure: InvokeFailure) {
    super(failure.code, failure.message, {
      retryable: failure.retryable,
      cause: failure.cause,
    });
    this.name = 'InvokeError';
    this.functionName = functionName;
    this.status = failure.status;
    this.retryAfterMs = failure.retryAfterMs;
  }
}

/** What went wrong in the call, before it becomes an InvokeError. */

export interface InvokeFailure {
  /** The client's own INVOKE_* code, or the one the host's reply carried. */
  code: ErrorCode | RelayedCode;
  message: string;
  retryable: boolean;
  status?: number;
  retryAfterMs?: number;
  cause?: unknown;
}

type Outcome =
  { ok: true; output: unknown; meta: ReplyMeta } | { ok: false; failure: InvokeFailure };

const DEFAULT_TIMEOUT_MS = 30_000;
const SNIPPET_CHARS = 200;

export function createInvoker(options: InvokerOptions): Invoke {
  const base = parseBaseUrl(options.baseUrl);
  if (!options.secret) throw invalid('secret must not be empty: use security.signingSecret');
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if ((options.retries ?? 0) !== 0) {
    throw invalid(
      `retries must be 0, got ${String(options.retries)}: the client makes one attempt per call, and the caller's retry layer retries`,
    );
  }
  const doFetch = options.fetch ?? fetch;

  return async function invoke<O>(
    name: string,
    input: unknown,
    call: InvokeOptions = {},
  ): Promise<InvokeResult<O>> {
    const callTimeoutMs = positive('timeoutMs', call.timeoutMs ?? timeoutMs);
    const attempt = call.meta?.attempt ?? 1;
    if (!Number.isInteger(attempt) || attempt < 1) {
      throw invalid(`meta.attempt must be a whole number ≥ 1, got ${attempt}`);
    }
    if (!FUNCTION_NAME.test(name)) {
      throw new InvokeError(name, {
        code: 'INVOKE_BAD_NAME',
        message: `cannot invoke "${name}": a function name matches ${FUNCTION_NAME}`,
        retryable: false,
      });
    }
    if (call.signal?.aborted) throw new InvokeError(name, aborted(name, call.signal));
    const path = `${base.pathname}/fn/${name}`;
    const url = `${base.origin}${path}`;
    const meta = { ...call.meta, invocationId: call.meta?.invocationId ?? randomUUID(), attempt };
    const idempotencyKey =
      call.idempotencyKey ?? idempotencyKeyFromMeta(call.meta, meta.invocationId);
    const body = serialise(name, input, meta);
    if (typeof body !== 'string') throw new InvokeError(name, body);
    const headers: Record<string, string> = {
      ...traceHeaders(call.headers),
      'content-type': 'application/json',
      'x-request-id': meta.requestId ?? meta.invocationId,
      'idempotency-key': idempotencyKey,
      ...signatureHeaders(options.secret, { method: 'POST', path, body }),
    };
    const outcome = await attemptOnce(
      doFetch,
      name,
      url,
      headers,
      body,
      callTimeoutMs,
      call.signal,
    );
    if (!outcome.ok) throw new InvokeError(name, outcome.failure);
    return { output: outcome.output as O, meta: outcome.meta };
  };
}

async function attemptOnce(
  doFetch: typeof fetch,
  name: string,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<Outcome> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
  let status: number;
  let retryAfter: string | null;
  let text: string;
  try {
    // A redirect would be followed unsigned for a different path; treat it as a bad reply.
    const response = await doFetch(url, {
      method: 'POST',
      headers,
      body,
      signal,
      redirect: 'manual',
    });
    status = response.status;
    retryAfter = response.headers.get('retry-after');
    text = await response.text();
  } catch (error) {
    return {
      ok: false,
      failure: transportFailure(name, url, error, timeoutMs, callerSignal, deadline),
    };
  }
  return readReply(name, status, text, parseRetryAfter(retryAfter));
}

function transportFailure(
  name: string,
  url: string,
  error: unknown,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  deadline: AbortSignal,
): InvokeFailure {
  if (callerSignal?.aborted) return aborted(name, callerSignal);
  if (deadline.aborted) {
    return {
      code: 'INVOKE_TIMEOUT',
      message: `function ${name} did not reply within ${timeoutMs} ms`,
      retryable: true,
      cause: error,
    };
  }
  const origin = new URL(url).origin;
  const networkCode = transientNetworkCode(error);
  if (networkCode !== undefined) {
    return {
      code: 'INVOKE_NETWORK',
      message: `function ${name} at ${origin} could not be reached or dropped the connection (${networkCode})`,
      retryable: true,
      cause: error,
    };
  }
  const detail =
    isErrorLike(error) && error.cause !== undefined ? `: ${messageOf(error.cause)}` : '';
  return {
    code: 'INVOKE_FAILED',
    message: `calling function ${name} at ${origin} failed: ${messageOf(error)}${detail}`,
    retryable: false,
    cause: error,
  };
}

function readReply(
  name: string,
  status: number,
  text: string,
  retryAfterMs: number | undefined,
): Outcome {
  const bad = (problem: string): Outcome => ({
    ok: false,
    failure: {
      code: 'INVOKE_BAD_REPLY',
      message: `function ${name} replied ${status} with ${problem}: ${snippet(text)}`,
      retryable: isRetryableBadReply(status),
      status,
      retryAfterMs,
    },
  });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return bad('a body that is not JSON');
  }
  if (status >= 200 && status < 300) {
    const reply = SuccessReply.safeParse(body);
    if (!reply.success || !Object.hasOwn(reply.data, 'output')) {
      return bad('a body that is not { output, meta: { durationMs, coldStart, worker, version } }');
    }
    return { ok: true, output: reply.data.output, meta: reply.data.meta };
  }
  const reply = ErrorReply.safeParse(body);
  if (!reply.success) return bad('a body that is not { error: { code, message, retryable } }');
  const { code, message, retryable } = reply.data.error;
  return {
    ok: false,
    failure: {
      code: relayedCode(code),
      message: `function ${name} failed: ${message}`,
      retryable: isRetryableReply(status, retryable),
      status,
      retryAfterMs,
    },
  };
}

function aborted(name: string, signal: AbortSignal | undefined): InvokeFailure {
  return {
    code: 'INVOKE_ABORTED',
    message: `call to function ${name} was cancelled by the caller`,
    retryable: false,
    cause: signal?.reason,
  };
}

/**
 * The key when the caller gives none, from the call's meta: it names the step the call belongs to,
 * so a re-sent step is recognised as one.
 */
function idempotencyKeyFromMeta(meta: CallMeta | undefined, invocationId: string): string {
  if (meta?.threadId === undefined && meta?.runId === undefined && meta?.step === undefined) {
    return invocationId;
  }
  return `${meta.threadId ?? ''}:${meta.runId ?? ''}:${meta.step ?? ''}:${invocationId}`;
}

function traceHeaders(given: TraceHeaders | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const key of TRACE_HEADERS) {
    const value = given?.[key];
    if (typeof value === 'string' && value !== '') headers[key] = value;
  }
  return headers;
}

function serialise(name: string, input: unknown, meta: InvocationMeta): string | InvokeFailure {
  try {
    return JSON.stringify({ input, meta });
  } catch (error) {
    return {
      code: 'INVOKE_BAD_INPUT',
      message: `input for function ${name} cannot be sent as JSON: ${messageOf(error)}`,
      retryable: false,
      cause: error,
    };
  }
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty)';
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
}

function parseBaseUrl(baseUrl: string): { origin: string; pathname: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalid(`baseUrl "${baseUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`baseUrl "${baseUrl}" must be http or https`);
  }
  return { origin: url.origin, pathname: url.pathname.replace(/\/+$/, '') };
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw invalid(`${field} must be a positive number, got ${value}`);
  return value;
}

function invalid(message: string): AtolyeError {
  return new AtolyeError('INVOKER_INVALID', `invoke client: ${message}`);
}

function messageOf(error: unknown): string {
  return isErrorLike(error) ? error.message : String(error);
}
