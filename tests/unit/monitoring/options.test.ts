import type { ErrorEvent } from '@sentry/node';
import { loadConfig, type AtolyeConfig } from '../../../src/config/index.js';
import { AtolyeError } from '../../../src/errors.js';
import {
  assertDsn,
  DEFAULT_SPOTLIGHT_URL,
  sentryOptions,
  spotlightTarget,
} from '../../../src/monitoring/options.js';
import { scrubbers, type Redact } from '../../../src/monitoring/scrub.js';

const DSN = 'https://publickey@o1.ingest.example/42';
const identity: Redact = (value) => value;

function configWith(environ: Record<string, string> = {}): AtolyeConfig {
  return loadConfig({
    env: 'testing',
    environ: { SENTRY_DSN: DSN, ATOLYE_RELEASE: '3.2.1', ...environ },
  }).config;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof AtolyeError ? error.code : 'not an AtolyeError';
  }
  return undefined;
}

describe('sentryOptions', () => {
  it('takes dsn, environment, release and sample rates from the configuration', () => {
    const options = sentryOptions(
      configWith({ SENTRY_SAMPLE_RATE: '0.5', SENTRY_TRACES_SAMPLE_RATE: '0.25' }),
      { service: 'host' },
      identity,
    );
    expect(options).toMatchObject({
      dsn: DSN,
      environment: 'testing',
      release: '3.2.1',
      sampleRate: 0.5,
      tracesSampleRate: 0.25,
      spotlight: false,
    });
  });

  it('prefers sentry.environment over env', () => {
    expect(
      sentryOptions(configWith({ SENTRY_ENVIRONMENT: 'staging' }), { service: 'host' }, identity)
        .environment,
    ).toBe('staging');
  });

  it('passes an empty DSN through so the SDK does not read SENTRY_DSN behind the configuration', () => {
    expect(sentryOptions(configWith({ SENTRY_DSN: '' }), { service: 'host' }, identity).dsn).toBe(
      '',
    );
  });

  it('installs no default integration and only ones that read the process itself', () => {
    const options = sentryOptions(configWith(), { service: 'host' }, identity);
    expect(options.defaultIntegrations).toBe(false);
    const names = (options.integrations as Array<{ name: string }>).map(
      (integration) => integration.name,
    );
    expect(names).toEqual([
      'EventFilters',
      'LinkedErrors',
      'Context',
      'ContextLines',
      'OnUncaughtException',
      'OnUnhandledRejection',
    ]);
    const quiet = sentryOptions(configWith(), { service: 'host', globalHandlers: false }, identity);
    expect(
      (quiet.integrations as Array<{ name: string }>).map((integration) => integration.name),
    ).not.toContain('OnUncaughtException');
  });

  it('collects no personal data and sends no client reports', () => {
    const options = sentryOptions(configWith(), { service: 'host' }, identity);
    expect(options.dataCollection).toMatchObject({
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      stackFrameVariables: false,
    });
    expect(options.sendClientReports).toBe(false);
    expect(options.enableRuntimeChannelInjection).toBe(false);
  });

  it('scrubs events, breadcrumbs, spans and logs with the redactor it is given', () => {
    const redact: Redact = <T>(value: T): T =>
      JSON.parse(JSON.stringify(value).replaceAll('hunter2', '[X]')) as T;
    const options = sentryOptions(configWith(), { service: 'host' }, redact);
    const event = { type: undefined, message: 'password hunter2' } as ErrorEvent;
    expect(options.beforeSend?.(event, {})).toEqual({ message: 'password [X]' });
    expect(event.message).toBe('password hunter2');
    expect(options.beforeBreadcrumb?.({ message: 'hunter2' })).toEqual({ message: '[X]' });
  });

  it('refuses a malformed DSN', () => {
    expect(
      codeOf(() =>
        sentryOptions(configWith({ SENTRY_DSN: 'not a url' }), { service: 'host' }, identity),
      ),
    ).toBe('SENTRY_DSN_INVALID');
  });
});

describe('scrubbers', () => {
  it('passes every kind of payload through the redactor, untouched originals included', () => {
    const seen: unknown[] = [];
    const redact: Redact = (value) => {
      seen.push(value);
      return value;
    };
    const hooks = scrubbers(redact);
    const span = { span_id: '1' } as unknown as Parameters<typeof hooks.beforeSendSpan>[0];
    const log = { level: 'error', message: 'm' } as unknown as Parameters<
      typeof hooks.beforeSendLog
    >[0];
    hooks.beforeSendSpan(span);
    hooks.beforeSendLog(log);
    expect(seen).toEqual([span, log]);
  });
});

describe('assertDsn', () => {
  it('accepts a DSN and an empty value', () => {
    expect(codeOf(() => assertDsn(DSN))).toBeUndefined();
    expect(codeOf(() => assertDsn('http://key@127.0.0.1:9000/7'))).toBeUndefined();
    expect(codeOf(() => assertDsn(''))).toBeUndefined();
  });

  it.each([
    ['not a url'],
    ['ftp://key@host/1'],
    ['https://host/1'],
    ['https://key@host/'],
    ['https://key@host/project'],
  ])('refuses %s without repeating it', (dsn) => {
    let message = '';
    try {
      assertDsn(dsn);
    } catch (error) {
      expect(error).toBeInstanceOf(AtolyeError);
      expect((error as AtolyeError).code).toBe('SENTRY_DSN_INVALID');
      message = (error as AtolyeError).message;
    }
    expect(message).toContain('SENTRY_DSN');
    expect(message).not.toContain(dsn);
  });
});

describe('spotlightTarget', () => {
  const base = configWith();
  const withSpotlight = (
    spotlight: string,
    env: AtolyeConfig['env'] = 'development',
  ): AtolyeConfig => ({
    ...base,
    env,
    sentry: { ...base.sentry, spotlight },
  });

  it('is off when empty or switched off', () => {
    expect(spotlightTarget(withSpotlight(''))).toBe(false);
    expect(spotlightTarget(withSpotlight('off'))).toBe(false);
    expect(spotlightTarget(withSpotlight('false'))).toBe(false);
  });

  it('is the sidecar URL when set, or the default one for "true"', () => {
    expect(spotlightTarget(withSpotlight('http://127.0.0.1:9999/stream'))).toBe(
      'http://127.0.0.1:9999/stream',
    );
    expect(spotlightTarget(withSpotlight('true'))).toBe(DEFAULT_SPOTLIGHT_URL);
    expect(spotlightTarget(withSpotlight(' 1 '))).toBe(DEFAULT_SPOTLIGHT_URL);
  });

  it('is never on in production', () => {
    expect(spotlightTarget(withSpotlight('http://localhost:8969/stream', 'production'))).toBe(
      false,
    );
  });

  it('refuses something that is not an http URL', () => {
    expect(codeOf(() => spotlightTarget(withSpotlight('localhost:8969')))).toBe(
      'SENTRY_SPOTLIGHT_INVALID',
    );
    expect(codeOf(() => spotlightTarget(withSpotlight('not a url')))).toBe(
      'SENTRY_SPOTLIGHT_INVALID',
    );
    expect(codeOf(() => spotlightTarget(withSpotlight('file:///tmp/x')))).toBe(
      'SENTRY_SPOTLIGHT_INVALID',
    );
  });

  it('reaches the SDK options', () => {
    expect(sentryOptions(withSpotlight('true'), { service: 'host' }, identity).spotlight).toBe(
      DEFAULT_SPOTLIGHT_URL,
    );
  });
});
