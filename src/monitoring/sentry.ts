import * as Sentry from '@sentry/node';
import type { Event } from '@sentry/node';
import { secretValues } from '../config/mask.js';
import { isErrorCode } from '../error-codes/index.js';
import type { AtolyeConfig } from '../config/schema.js';
import { createRedactor, currentLogContext, setErrorReporter } from '../logging/index.js';
import {
  contextOfRecord,
  errorOfRecord,
  splitContext,
  type ErrorContext,
  type SentryTags,
} from './context.js';
import { assertDsn, sentryOptions, spotlightTarget, type SentryInitOptions } from './options.js';

/** Whether this process reports errors; undefined until initSentry ran. */
let active: boolean | undefined;

/**
 * Starts error reporting for this process, once: later calls change nothing and return the first
 * answer. Reporting is on when a DSN or (outside production) a Spotlight sidecar is configured;
 * without either, nothing is initialised, nothing is sent, and every function here is a no-op.
 * When on, every event is tagged with the log context of the code that raised it (the entry
 * point's `withLogContext`), and every error-level log record is captured and carries the event
 * id as `sentryEventId`.
 */
export function initSentry(config: AtolyeConfig, init: SentryInitOptions): boolean {
  if (active !== undefined) return active;
  assertDsn(config.sentry.dsn);
  if (config.sentry.dsn === '' && spotlightTarget(config) === false) {
    active = false;
    return active;
  }
  Sentry.init(sentryOptions(config, init, createRedactor(secretValues(config))));
  const scope = Sentry.getGlobalScope();
  scope.setTags({
    service: init.service,
    ...(init.functionName ? { function: init.functionName } : {}),
  });
  scope.addEventProcessor(addLogContextTags);
  setErrorReporter(captureLogRecord);
  active = true;
  return active;
}

/** Whether initSentry turned reporting on. */
export function isSentryEnabled(): boolean {
  return active === true;
}

/**
 * Sends an error with the tags of its context (`function`, `step`, `runId`, `threadId`,
 * `requestId`, `invocationId`) and the rest of the context as extra data. A string is sent as an
 * error-level message. Returns the event id, or undefined when reporting is off.
 */
export function captureError(error: unknown, context?: ErrorContext): string | undefined {
  if (!active) return undefined;
  const { tags, extra } = splitContext(context);
  const fingerprint = fingerprintOf(context?.code ?? (error as { code?: unknown } | null)?.code);
  if (typeof error === 'string') {
    return Sentry.captureMessage(error, { level: 'error', tags, extra, fingerprint });
  }
  return Sentry.captureException(error, { tags, extra, fingerprint });
}

/**
 * Failures of one kind are one Sentry issue, whatever line logged them: every run failure is
 * logged by the same line, so Sentry's default grouping (by stack) alone would make them one
 * issue. A catalogue code splits the default group by code; anything else keeps the default.
 */
function fingerprintOf(code: unknown): string[] | undefined {
  return typeof code === 'string' && isErrorCode(code) ? ['{{ default }}', code] : undefined;
}

/**
 * The error reporter of the logging module: captures the logged Error (or the error the redacted
 * record describes) with the record's context and its channel and message, and returns the event
 * id for `sentryEventId`.
 */
export function captureLogRecord(
  record: Record<string, unknown>,
  error?: Error,
): string | undefined {
  const context: ErrorContext = {
    ...contextOfRecord(record),
    log: { channel: record.channel, msg: record.msg },
  };
  return captureError(error ?? errorOfRecord(record), context);
}

/** Fills in the tags of the log context; tags of the scope or of the capture call win. */
function addLogContextTags(event: Event): Event {
  const { tags } = splitContext(currentLogContext());
  event.tags = { ...tags, ...event.tags };
  return event;
}

/**
 * Runs `fn` (sync or async) in its own isolation scope carrying `tags`, so every event captured
 * beneath it — by captureError, a log record or an uncaught error — is tagged with them. The log
 * context already tags events; this is for tags that belong to Sentry only.
 */
export function withSentryScope<T>(tags: SentryTags, fn: () => T): T {
  if (!active) return fn();
  return Sentry.withIsolationScope((scope) => {
    scope.setTags(splitContext(tags).tags);
    return fn();
  });
}

/**
 * Waits until queued events are sent, at most `timeoutMs`; call it before exit and after a
 * failed invocation (a frozen or killed function would lose them). True when nothing is left.
 */
export async function flushSentry(timeoutMs = 2000): Promise<boolean> {
  if (!active) return true;
  return Sentry.flush(timeoutMs);
}
