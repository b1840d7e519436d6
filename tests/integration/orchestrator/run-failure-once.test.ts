/**
 * A run's failure is one error: the line that ends the run, with its code and runId, in the
 * `errors` channel once and in Sentry once. A step's failed attempt is a warning with its code
 * (the function's line on the host, the step's line on the orchestrator): a failure a retry
 * absorbed leaves no error at all. Real host and worker processes, real log files, a real Sentry
 * ingest server on loopback; host and orchestrator report through this process's Sentry client.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as Sentry from '@sentry/node';
import { loadConfig } from '../../../src/config/index.js';
import { createLogging, type Logging, type LogRecord } from '../../../src/logging/index.js';
import { flushSentry, initSentry } from '../../../src/monitoring/index.js';
import type { Executor, ExecutorOptions } from '../../../src/orchestrator/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { hostConfig } from '../deploy/helpers.js';
import { startIngest, type IngestServer } from '../monitoring/fixtures/ingest.js';
import { createStepExecutor, startStepHost, type StepHost } from './helpers.js';

let root: ReturnType<typeof tempDir>;
let ingest: IngestServer;
let stepHost: StepHost | undefined;
let logging: Logging | undefined;
const executors: Executor[] = [];

beforeAll(async () => {
  root = tempDir('atolye-run-failure-once-');
  ingest = await startIngest();
  // First init wins: the host started below reports through this client too.
  const { config } = loadConfig({ env: 'testing', environ: { SENTRY_DSN: ingest.dsn } });
  expect(initSentry(config, { service: 'orchestrator', globalHandlers: false })).toBe(true);
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
}, 60_000);

afterAll(async () => {
  await Promise.all(executors.map((executor) => executor.close()));
  await logging?.close();
  await stepHost?.stop();
  await Sentry.close(2000);
  await ingest.close();
  root.cleanup();
});

function executor(name: string, overrides: Partial<ExecutorOptions> = {}): Executor {
  const created = createStepExecutor(stepHost as StepHost, {
    dataDir: path.join(root.dir, name),
    logging,
    ...overrides,
  });
  executors.push(created);
  return created;
}

const recordsOf = (dir: string, channel: string): LogRecord[] =>
  readFileSync(path.join(dir, `${channel}.log`), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogRecord);

test('failed runs are one error each, in errors and in Sentry; a retried attempt is a warning only', async () => {
  const orchestratorLogs = path.join(root.dir, 'orchestrator-logs');
  logging = createLogging(hostConfig(path.join(root.dir, 'data'), orchestratorLogs), {
    service: 'orchestrator',
  });
  const runner = executor('data');
  // A separate store (one orchestrator per SQLite file) whose runs time out: a run ended by a throw.
  const hurried = executor('data-timeout', { limits: { runTimeoutMs: 800 } });
  const [flaky, failedA, failedB, timedOut] = await Promise.all([
    runner.startRun('thread-flaky', 'act-flaky write notes'),
    runner.startRun('thread-fails-a', 'act-fails on purpose'),
    runner.startRun('thread-fails-b', 'act-fails on purpose'),
    hurried.startRun('thread-block', 'block until the run times out'),
  ]);
  const runs = await Promise.all([
    runner.waitFor(flaky),
    runner.waitFor(failedA),
    runner.waitFor(failedB),
    hurried.waitFor(timedOut),
  ]);
  expect(runs.map((run) => [run.status, run.error?.code ?? null])).toEqual([
    ['success', null],
    ['error', 'MODEL_REJECTED'],
    ['error', 'MODEL_REJECTED'],
    ['timeout', 'RUN_TIMEOUT'],
  ]);

  await Promise.all(executors.splice(0).map((item) => item.close()));
  await logging.close();
  logging = undefined;
  await stepHost?.stop();
  const hostLogs = stepHost?.config.logging.dir as string;
  stepHost = undefined;
  expect(await flushSentry(5000)).toBe(true);

  const errors = [...recordsOf(hostLogs, 'errors'), ...recordsOf(orchestratorLogs, 'errors')];
  const events = ingest.events();
  const errorsOf = (runId: string): LogRecord[] =>
    errors.filter((record) => record.level === 'error' && record.runId === runId);
  const eventsOf = (runId: string): Record<string, unknown>[] =>
    events.filter((event) => (event.tags as Record<string, string>).runId === runId);

  // The retry absorbed the fault: warnings with its code, no error, no event.
  expect(errorsOf(flaky)).toEqual([]);
  expect(eventsOf(flaky)).toEqual([]);
  const hostAgent = recordsOf(hostLogs, 'agent');
  expect(hostAgent.filter((record) => record.runId === flaky && record.level !== 'info')).toEqual([
    expect.objectContaining({
      level: 'warn',
      msg: 'act failed (MODEL_TIMEOUT): the model did not answer in time (scripted)',
      code: 'MODEL_TIMEOUT',
      retryable: true,
      step: 'act',
    }),
  ]);

  for (const [runId, code] of [
    [failedA, 'MODEL_REJECTED'],
    [failedB, 'MODEL_REJECTED'],
    [timedOut, 'RUN_TIMEOUT'],
  ] as const) {
    const [line, ...more] = errorsOf(runId);
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      channel: 'agent',
      service: 'orchestrator',
      code,
      msg: expect.stringMatching(new RegExp(`^run ended: (error|timeout) \\(${code}\\): `)),
      sentryEventId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const reported = eventsOf(runId);
    expect(reported.map((event) => event.event_id)).toEqual([line?.sentryEventId]);
    expect(reported[0]?.extra).toMatchObject({ code });
  }
  // Nothing else was reported; the same failure twice (failedA, failedB) is two events.
  expect(events).toHaveLength(3);
}, 30_000);
