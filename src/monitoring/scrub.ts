import type { NodeOptions } from '@sentry/node';

/** A deep, non-mutating redactor, as `createRedactor` of the logging module returns. */
export type Redact = <T>(value: T) => T;

type Scrubbers = Required<
  Pick<NodeOptions, 'beforeSend' | 'beforeSendSpan' | 'beforeBreadcrumb' | 'beforeSendLog'>
>;

/**
 * The `before*` hooks that pass everything the SDK is about to send — error events (messages,
 * stack frames with their source lines, tags, extra, breadcrumbs), spans and logs — through
 * the same redaction as the log files, so a secret never reaches Sentry or Spotlight.
 * (@sentry/node 11 streams spans by default and ignores `beforeSendTransaction`, warning when
 * it is set; `beforeSendSpan` covers them.)
 */
export function scrubbers(redact: Redact): Scrubbers {
  return {
    beforeSend: (event) => redact(event),
    beforeSendSpan: (span) => redact(span),
    beforeBreadcrumb: (breadcrumb) => redact(breadcrumb),
    beforeSendLog: (log) => redact(log),
  };
}
