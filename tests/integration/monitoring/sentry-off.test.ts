/**
 * Without a DSN or Spotlight, error monitoring is off in this process: the SDK is never
 * initialised, so nothing can be sent, and every call is a harmless no-op.
 */
import * as Sentry from '@sentry/node';
import { loadConfig } from '../../../src/config/index.js';
import {
  captureError,
  captureLogRecord,
  flushSentry,
  initSentry,
  isSentryEnabled,
  withSentryScope,
} from '../../../src/monitoring/index.js';

const { config } = loadConfig({
  env: 'testing',
  environ: { SENTRY_DSN: '', SENTRY_SPOTLIGHT: '' },
});

it('does not initialise the SDK and answers false, now and on later calls', () => {
  expect(initSentry(config, { service: 'atolye-test', functionName: 'agent-step' })).toBe(false);
  expect(
    initSentry({ ...config, sentry: { ...config.sentry, dsn: 'https://k@h/1' } }, { service: 'x' }),
  ).toBe(false);
  expect(isSentryEnabled()).toBe(false);
  expect(Sentry.isInitialized()).toBe(false);
  expect(Sentry.getClient()).toBeUndefined();
});

it('captures nothing and throws nothing', async () => {
  expect(captureError(new Error('lost'), { step: 'plan' })).toBeUndefined();
  expect(captureError('a message')).toBeUndefined();
  expect(captureLogRecord({ level: 'error', msg: 'logged' })).toBeUndefined();
  await expect(withSentryScope({ runId: 'r' }, async () => 'done')).resolves.toBe('done');
  await expect(flushSentry(10)).resolves.toBe(true);
});
