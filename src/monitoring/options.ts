import * as Sentry from '@sentry/node';
import type { NodeOptions } from '@sentry/node';
import { resolveRelease } from '../config/release.js';
import type { AtolyeConfig } from '../config/schema.js';
import { AtolyeError } from '../errors.js';
import { scrubbers, type Redact } from './scrub.js';

export interface SentryInitOptions {
  /** Name of this process in Sentry: host, orchestrator, cli, or a function's name. */
  service: string;
  /** The function this process runs (function workers only); tagged `function`. */
  functionName?: string;
  /**
   * Report uncaught exceptions and unhandled rejections, then exit with code 1 as Node would.
   * Default true; false leaves the process's handlers alone (e.g. inside a test runner).
   */
  globalHandlers?: boolean;
}

/** The Spotlight sidecar's default address, for `SENTRY_SPOTLIGHT=true`. */
export const DEFAULT_SPOTLIGHT_URL = 'http://localhost:8969/stream';

/**
 * Where events also go for local triage: the Spotlight sidecar URL, or false. Spotlight is a
 * development tool, so it is ignored in production even when set.
 */
export function spotlightTarget(config: Pick<AtolyeConfig, 'env' | 'sentry'>): string | false {
  const value = config.sentry.spotlight.trim();
  if (value === '' || config.env === 'production' || /^(false|0|no|off)$/i.test(value))
    return false;
  if (/^(true|1|yes|on)$/i.test(value)) return DEFAULT_SPOTLIGHT_URL;
  if (!isHttpUrl(value)) {
    throw new AtolyeError(
      'SENTRY_SPOTLIGHT_INVALID',
      `sentry.spotlight (SENTRY_SPOTLIGHT) must be the sidecar URL, e.g. ${DEFAULT_SPOTLIGHT_URL}, or empty to turn Spotlight off`,
    );
  }
  return value;
}

/**
 * Checks the DSN's form without echoing it: the SDK silently drops every event of a malformed
 * DSN, which would turn error reporting off without anyone noticing.
 */
export function assertDsn(dsn: string): void {
  if (dsn === '') return;
  let url: URL | undefined;
  try {
    url = new URL(dsn);
  } catch {
    url = undefined;
  }
  const projectId = url?.pathname.split('/').at(-1) ?? '';
  if (!url || !/^https?:$/.test(url.protocol) || !url.username || !/^\d+$/.test(projectId)) {
    throw new AtolyeError(
      'SENTRY_DSN_INVALID',
      'sentry.dsn (SENTRY_DSN) is not a Sentry DSN: copy it from the project settings ' +
        '(form https://<public key>@<host>/<project id>) or leave it empty to turn error reporting off',
    );
  }
}

/**
 * The SDK options of this product. No default integrations: the ones kept only read the process
 * itself (no HTTP/console instrumentation, no session or client-report traffic, no loader hooks),
 * and everything sent passes through `redact`.
 */
export function sentryOptions(
  config: AtolyeConfig,
  init: SentryInitOptions,
  redact: Redact,
): NodeOptions {
  assertDsn(config.sentry.dsn);
  return {
    // Passed even when empty: an undefined value makes the SDK read SENTRY_* itself.
    dsn: config.sentry.dsn,
    spotlight: spotlightTarget(config),
    environment: config.sentry.environment || config.env,
    release: resolveRelease(config),
    sampleRate: config.sentry.sampleRate,
    tracesSampleRate: config.sentry.tracesSampleRate,
    defaultIntegrations: false,
    integrations: integrations(init.globalHandlers ?? true),
    // @sentry/node 11 replaced `sendDefaultPii` with per-category `dataCollection`, whose
    // defaults collect everything: turn each category off.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      graphQL: { document: false, variables: false },
      genAI: { inputs: false, outputs: false },
      mcp: { inputs: false, outputs: false },
      databaseQueryData: false,
      queues: false,
      stackFrameVariables: false,
    },
    sendClientReports: false,
    enableRuntimeChannelInjection: false,
    enableOpenTelemetrySetup: false,
    ...scrubbers(redact),
  };
}

type Integrations = Exclude<
  NonNullable<NodeOptions['integrations']>,
  (...args: never[]) => unknown
>;

/**
 * Not Dedupe: it drops an event equal to the one before it (message and stack, tags ignored), so
 * two runs failing the same way, from the same line, reached Sentry as one. What is reported is
 * the logging's decision (one error line per failure); Sentry groups alike events into one issue.
 */
function integrations(globalHandlers: boolean): Integrations {
  const kept: Integrations = [
    Sentry.eventFiltersIntegration(),
    Sentry.linkedErrorsIntegration(),
    Sentry.nodeContextIntegration(),
    Sentry.contextLinesIntegration(),
  ];
  if (globalHandlers) {
    // `strict` keeps Node's own behaviour of ending the process on an unhandled rejection.
    kept.push(
      Sentry.onUncaughtExceptionIntegration(),
      Sentry.onUnhandledRejectionIntegration({ mode: 'strict' }),
    );
  }
  return kept;
}

function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}
