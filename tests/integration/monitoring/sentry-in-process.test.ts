/**
 * Error monitoring inside this test process, delivering to a real ingest server on loopback. One
 * init per process, so the tests below run in order: off before init, then on.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as Sentry from '@sentry/node';
import { loadConfig } from '../../../src/config/index.js';
import { AtolyeError } from '../../../src/errors.js';
import { createLogging, withLogContext } from '../../../src/logging/index.js';
import {
  captureError,
  captureLogRecord,
  flushSentry,
  initSentry,
  isSentryEnabled,
  withSentryScope,
} from '../../../src/monitoring/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { startIngest, type IngestServer } from './fixtures/ingest.js';

const signing = `sig-${randomBytes(12).toString('hex')}`;
const bearer = randomBytes(16).toString('hex');
const openaiKey = `sk-proj-${randomBytes(16).toString('hex')}`;

const logs = tempDir('atolye-monitoring-logs-');
let ingest: IngestServer;

beforeAll(async () => {
  ingest = await startIngest();
});

afterAll(async () => {
  await Sentry.close(2000);
  await ingest.close();
  logs.cleanup();
});

function configFor(environ: Record<string, string>) {
  return loadConfig({
    env: 'testing',
    environ: { ATOLYE_SIGNING_SECRET: signing, ATOLYE_LOG_DIR: logs.dir, ...environ },
  }).config;
}

describe('before initSentry', () => {
  it('is off: captureError returns no id and nothing throws', async () => {
    expect(isSentryEnabled()).toBe(false);
    expect(captureError(new Error('early'))).toBeUndefined();
    expect(withSentryScope({ step: 'x' }, () => 41 + 1)).toBe(42);
    await expect(flushSentry()).resolves.toBe(true);
  });

  it('refuses a malformed DSN without echoing it, and stays uninitialised', () => {
    const config = configFor({ SENTRY_DSN: `https://${bearer}@sentry.example/not-a-project` });
    let thrown: unknown;
    try {
      initSentry(config, { service: 'atolye-test' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AtolyeError);
    expect((thrown as AtolyeError).code).toBe('SENTRY_DSN_INVALID');
    expect((thrown as AtolyeError).message).not.toContain(bearer);
    expect(isSentryEnabled()).toBe(false);
  });
});

describe('with a DSN', () => {
  beforeAll(() => {
    const config = configFor({
      SENTRY_DSN: ingest.dsn,
      SENTRY_ENVIRONMENT: 'ci-loopback',
      ATOLYE_RELEASE: '7.7.7-test',
    });
    expect(
      initSentry(config, {
        service: 'atolye-test',
        functionName: 'agent-step',
        globalHandlers: false,
      }),
    ).toBe(true);
  });

  it('initialises once: a second call keeps the first configuration', async () => {
    const other = configFor({ SENTRY_DSN: '' });
    expect(initSentry(other, { service: 'second', functionName: 'second' })).toBe(true);
    expect(isSentryEnabled()).toBe(true);
    const id = captureError(new Error('after second init'));
    const event = await ingest.waitForEvent((candidate) => candidate.event_id === id);
    expect(event.tags).toMatchObject({ service: 'atolye-test', function: 'agent-step' });
  });

  it('delivers an error with environment, release and invocation tags, and no secret', async () => {
    const id = await withSentryScope(
      { step: 'plan', runId: 'run-1', threadId: 'thread-1' },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        Sentry.addBreadcrumb({
          message: `called the model with ${openaiKey}`,
          data: { authorization: bearer },
        });
        return captureError(
          new AtolyeError('STEP_FAILED', `failed with Bearer ${bearer} and ${signing}`),
          {
            invocationId: 'inv-1',
            extraData: { apiKey: openaiKey, note: `signing secret ${signing}` },
          },
        );
      },
    );
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await flushSentry()).toBe(true);
    const event = await ingest.waitForEvent((candidate) => candidate.event_id === id);
    expect(event.environment).toBe('ci-loopback');
    expect(event.release).toBe('7.7.7-test');
    expect(event.tags).toEqual({
      service: 'atolye-test',
      function: 'agent-step',
      step: 'plan',
      runId: 'run-1',
      threadId: 'thread-1',
      invocationId: 'inv-1',
    });
    expect(JSON.stringify(event)).toContain('STEP_FAILED');
    const raw = ingest.received.find((item) => item.envelope.header.event_id === id);
    expect(raw).toBeDefined();
    for (const bytes of [raw?.wire, raw?.body]) {
      const text = bytes?.toString('latin1') ?? '';
      for (const secret of [signing, bearer, openaiKey]) expect(text).not.toContain(secret);
    }
  });

  it('sends a string as an error-level message with the context tags', async () => {
    const id = captureError(`plain failure ${signing}`, { step: 'tools', runId: 12 });
    const event = await ingest.waitForEvent((candidate) => candidate.event_id === id);
    expect(event.level).toBe('error');
    expect(JSON.stringify(event)).not.toContain(signing);
    expect(event.tags).toMatchObject({ step: 'tools', runId: '12', service: 'atolye-test' });
  });

  it('gives every error logged to the errors channel its Sentry event id, tagged with the log context', async () => {
    const logging = createLogging(configFor({}), { service: 'atolye-test' });
    await withLogContext({ requestId: 'req-5', threadId: 'thread-5', step: 'tools' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      logging
        .log('agent')
        .error('tool failed', { err: new Error(`tool said ${openaiKey}`), attempt: 2 });
      logging.log('agent').warn('a warning is not reported');
    });
    await logging.close();
    const records = readFileSync(path.join(logs.dir, 'errors.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(1);
    const id = records[0]?.sentryEventId;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const event = await ingest.waitForEvent((candidate) => candidate.event_id === id);
    const exception = (event.exception as { values: Array<{ type: string; value: string }> })
      .values[0];
    expect(exception?.value).toBe('tool said [REDACTED]');
    expect(event.tags).toMatchObject({
      service: 'atolye-test',
      requestId: 'req-5',
      threadId: 'thread-5',
      step: 'tools',
    });
    expect(event.extra).toMatchObject({
      attempt: 2,
      log: { channel: 'agent', msg: 'tool failed' },
    });
  });

  it('rebuilds the error of a forwarded record that carries it serialized', async () => {
    const id = captureLogRecord({
      ts: new Date().toISOString(),
      level: 'error',
      channel: 'errors',
      msg: 'worker failed',
      runId: 'run-6',
      err: {
        name: 'ToolError',
        message: 'tool broke',
        stack: 'ToolError: tool broke\n    at run (tool.ts:3:7)',
      },
    });
    const event = await ingest.waitForEvent((candidate) => candidate.event_id === id);
    const exception = (event.exception as { values: Array<{ type: string; value: string }> })
      .values[0];
    expect(exception).toMatchObject({ type: 'ToolError', value: 'tool broke' });
    expect(event.tags).toMatchObject({ runId: 'run-6' });
  });
});
