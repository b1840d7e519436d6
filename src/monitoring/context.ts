/**
 * What an error event learns from the request context: the fields that identify an invocation
 * become Sentry tags (searchable, ≤ 200 characters), everything else becomes extra data.
 */

/** Context fields that become tags, named as in the log context. */
export const TAG_KEYS = [
  'function',
  'step',
  'runId',
  'threadId',
  'requestId',
  'invocationId',
] as const;
export type TagKey = (typeof TAG_KEYS)[number];

export type TagValue = string | number | boolean | undefined;

/** Per-invocation tags, e.g. `{ function: 'agent-step', step: 'plan', runId, threadId }`. */
export type SentryTags = Partial<Record<TagKey, TagValue>>;

/** Tags plus any other data worth attaching to one error (it is redacted before it leaves). */
export type ErrorContext = SentryTags & Record<string, unknown>;

/** Fields every log record carries that Sentry already knows (or that are the error itself). */
const LOG_RECORD_FIELDS = new Set([
  'ts',
  'timestamp',
  'level',
  'channel',
  'msg',
  'message',
  'service',
  'env',
  'release',
  'sentryEventId',
  'err',
  'error',
  'stack',
]);

/** Context fields that are not about the error (the log context may carry an earlier event's id). */
const IGNORED_FIELDS = new Set(['sentryEventId']);

const MAX_TAG_LENGTH = 200;

/** Splits a context into Sentry tags (the known keys with a primitive value) and extra data. */
export function splitContext(context: Record<string, unknown> = {}): {
  tags: Record<string, string>;
  extra: Record<string, unknown>;
} {
  const tags: Record<string, string> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined || value === null || value === '' || IGNORED_FIELDS.has(key)) continue;
    if ((TAG_KEYS as readonly string[]).includes(key) && isPrimitive(value)) {
      tags[key] = String(value).slice(0, MAX_TAG_LENGTH);
    } else {
      extra[key] = value;
    }
  }
  return { tags, extra };
}

/** The context part of a log record: its request context and metadata, without the envelope. */
export function contextOfRecord(record: Record<string, unknown>): ErrorContext {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !LOG_RECORD_FIELDS.has(key)));
}

/**
 * The error a log record describes: its `err`/`error` field when that is an Error or looks like
 * a serialized one, a `stack` beside the message, or else the message itself (sent as a message).
 */
export function errorOfRecord(record: Record<string, unknown>): Error | string {
  const message = firstString(record.msg, record.message) ?? 'error logged without a message';
  for (const candidate of [record.err, record.error]) {
    if (candidate instanceof Error) return candidate;
    if (isErrorLike(candidate))
      return rebuildError(candidate.name, candidate.message, candidate.stack);
  }
  if (typeof record.stack === 'string') return rebuildError('Error', message, record.stack);
  return message;
}

interface ErrorLike {
  message: string;
  name?: unknown;
  stack?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string'
  );
}

function rebuildError(name: unknown, message: string, stack: unknown): Error {
  const error = new Error(message);
  if (typeof name === 'string' && name) error.name = name;
  if (typeof stack === 'string' && stack) error.stack = stack;
  return error;
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.length > 0);
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
