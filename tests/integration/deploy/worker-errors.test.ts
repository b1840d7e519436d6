import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { createInvoker } from '../../../src/runtime/invoke.js';
import { startIngest, type IngestServer } from '../monitoring/fixtures/ingest.js';
import { tempDir } from '../../helpers/tmp.js';
import { build, deployOk, hostConfig } from './helpers.js';

// A handler's error is the caller's to judge (the orchestrator may retry it, and reports a failed
// run once when the run ends): the host logs it as a warning of the function, with its code, not
// in errors and not to Sentry. A worker that crashes by itself is a fault of the process: one
// error line in errors, joined to its one Sentry event.

let work: ReturnType<typeof tempDir>;
let ingest: IngestServer;
let host: RunningHost | undefined;

beforeAll(async () => {
  work = tempDir('atolye-worker-errors-');
  ingest = await startIngest();
});

afterAll(async () => {
  await host?.close();
  await ingest.close();
  work.cleanup();
});

const recordsOf = (logDir: string, channel: string): Record<string, unknown>[] =>
  readFileSync(path.join(logDir, `${channel}.log`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

it('logs a failed invocation as a warning with its code; reports a crashed worker once, joined to errors', async () => {
  const logDir = path.join(work.dir, 'logs');
  const config = hostConfig(path.join(work.dir, 'data'), logDir, { 'sentry.dsn': ingest.dsn });
  // No logging given: the host initialises its own logging and Sentry, as `atolye host` does.
  host = await startHost(config, { port: 0 });
  const target = { url: host.address.url, config };
  const built = await build(path.resolve('functions'), path.join(work.dir, 'dist'));
  await deployOk(target, built);

  const invoke = createInvoker({
    baseUrl: target.url,
    secret: config.security.signingSecret,
    retries: 0,
  });
  await expect(
    invoke(
      'echo',
      { message: 'kaboom', fail: 'error' },
      { meta: { invocationId: 'inv-e2e', runId: 'run-7', step: 'act' } },
    ),
  ).rejects.toMatchObject({ code: 'HANDLER_ERROR', status: 500 });
  await expect(
    invoke(
      'echo',
      { message: 'down', fail: 'crash' },
      { meta: { invocationId: 'inv-crash', runId: 'run-8', step: 'act' } },
    ),
  ).rejects.toMatchObject({ code: 'WORKER_CRASHED', status: 502 });

  const crash = await ingest.waitForEvent(
    (candidate) => JSON.stringify(candidate).includes('worker of echo crashed'),
    15_000,
  );
  expect(crash.environment).toBe('testing');
  expect(crash.tags).toMatchObject({ service: 'host' });

  // close() flushes Sentry: every event the host captured has arrived by then.
  await host.close();
  host = undefined;
  const failed = recordsOf(logDir, 'agent').filter((record) =>
    String(record.msg).includes('kaboom'),
  );
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({
    level: 'warn',
    msg: 'echo failed (HANDLER_ERROR): echo was asked to fail: kaboom',
    code: 'HANDLER_ERROR',
    retryable: false,
    function: 'echo',
    invocationId: 'inv-e2e',
    runId: 'run-7',
    err: { message: 'echo was asked to fail: kaboom' },
  });
  expect(failed[0]?.sentryEventId).toBeUndefined();

  const errors = recordsOf(logDir, 'errors');
  expect(errors.filter((record) => JSON.stringify(record).includes('kaboom'))).toEqual([]);
  const crashed = errors.filter((record) => String(record.msg).includes('worker of echo crashed'));
  expect(crashed).toHaveLength(1);
  expect(crashed[0]).toMatchObject({ level: 'error', sentryEventId: crash.event_id });

  const events = ingest.events();
  expect(events.filter((candidate) => JSON.stringify(candidate).includes('kaboom'))).toEqual([]);
  expect(
    events.filter((candidate) => JSON.stringify(candidate).includes('worker of echo crashed')),
  ).toHaveLength(1);
});
