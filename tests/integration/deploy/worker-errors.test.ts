import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { createInvoker } from '../../../src/runtime/invoke.js';
import { startIngest, type IngestServer } from '../monitoring/fixtures/ingest.js';
import { tempDir } from '../../helpers/tmp.js';
import { build, deployOk, hostConfig } from './helpers.js';

// A handler's error, thrown inside a worker that holds no DSN, reaches Sentry through the host
// with the function's tags, and its line in errors.log carries the event id.

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

it('reports a failed invocation once, tagged, and joins it to the errors channel', async () => {
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

  const event = await ingest.waitForEvent(
    (candidate) => JSON.stringify(candidate).includes('echo was asked to fail: kaboom'),
    15_000,
  );
  expect(event.tags).toMatchObject({
    function: 'echo',
    invocationId: 'inv-e2e',
    runId: 'run-7',
    step: 'act',
  });
  expect(event.environment).toBe('testing');

  await host.close();
  host = undefined;
  const errors = readFileSync(path.join(logDir, 'errors.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => String(record.msg).includes('kaboom'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({
    function: 'echo',
    invocationId: 'inv-e2e',
    sentryEventId: event.event_id,
  });
  expect(
    ingest.events().filter((candidate) => JSON.stringify(candidate).includes('kaboom')),
  ).toHaveLength(1);
});
