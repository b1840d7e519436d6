/**
 * Failures that look the same (same message, same stack: one line of code) but belong to
 * different runs are different failures: each error line reaches Sentry, once, tagged with its
 * run. Sentry's Dedupe integration dropped every such event after the first (it compares message
 * and stack, not tags), so error lines carried a `sentryEventId` the ingest never received.
 * In this test process, against a real ingest server on loopback and real log files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as Sentry from '@sentry/node';
import { loadConfig } from '../../../src/config/index.js';
import { AtolyeError } from '../../../src/errors.js';
import { createLogging, withLogContext, type Logging } from '../../../src/logging/index.js';
import { flushSentry, initSentry } from '../../../src/monitoring/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { startIngest, type IngestServer } from './fixtures/ingest.js';

const logs = tempDir('atolye-monitoring-distinct-');
let ingest: IngestServer;
let logging: Logging;

beforeAll(async () => {
  ingest = await startIngest();
  const { config } = loadConfig({
    env: 'testing',
    environ: { SENTRY_DSN: ingest.dsn, ATOLYE_LOG_DIR: logs.dir },
  });
  expect(initSentry(config, { service: 'orchestrator', globalHandlers: false })).toBe(true);
  logging = createLogging(config, { service: 'orchestrator' });
});

afterAll(async () => {
  await Sentry.close(2000);
  await ingest.close();
  logs.cleanup();
});

const RUNS = ['run-a', 'run-b', 'run-c'];

/** The same failure, thrown and logged by the same lines, for one run. */
function failTheSameWay(runId: string): void {
  withLogContext({ runId, threadId: `thread-${runId}`, step: 'tools' }, () => {
    const error = new AtolyeError('WORKER_CRASHED', 'tools: the worker was killed', {
      retryable: true,
    });
    logging.log('agent').error('step tools failed', { err: error, code: error.code });
  });
}

/** The same line without an Error: sent as a message event, the same text for each run. */
function endTheSameWay(runId: string): void {
  withLogContext({ runId, threadId: `thread-${runId}` }, () => {
    logging.log('agent').error('run ended: error (WORKER_CRASHED): tools: the worker was killed', {
      code: 'WORKER_CRASHED',
    });
  });
}

// One after another: Dedupe compared each event with the one before it.
test('each of three runs failing the same way reaches Sentry once per error line, with its runId', async () => {
  for (const runId of RUNS) failTheSameWay(runId);
  for (const runId of RUNS) endTheSameWay(runId);
  // A worker's records, forwarded to this process (the host), with the same serialized error.
  for (const runId of RUNS) {
    logging.writeRecord({
      ts: new Date().toISOString(),
      level: 'error',
      channel: 'agent',
      msg: 'uncaught exception in worker: boom',
      service: 'tools',
      env: 'testing',
      release: 'r1',
      runId,
      err: {
        name: 'TypeError',
        message: 'boom',
        stack: 'TypeError: boom\n    at run (tool.ts:3:7)',
      },
    });
  }
  expect(await flushSentry(5000)).toBe(true);
  await logging.close();

  const records = readFileSync(path.join(logs.dir, 'errors.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(records).toHaveLength(9);
  const ids = records.map((record) => record.sentryEventId);
  expect(new Set(ids).size).toBe(9);

  // Flushed, so sent and answered: every id a line names arrived, and nothing else did.
  const events = ingest.events();
  expect(events.map((event) => event.event_id).sort()).toEqual([...ids].sort());
  for (const runId of RUNS) {
    const ofRun = events.filter((event) => (event.tags as Record<string, string>).runId === runId);
    expect(ofRun).toHaveLength(3);
  }
  const messages = events.filter((event) => event.message !== undefined);
  expect(messages).toHaveLength(3);
  expect(messages.map((event) => (event.extra as Record<string, unknown>).code)).toEqual([
    'WORKER_CRASHED',
    'WORKER_CRASHED',
    'WORKER_CRASHED',
  ]);
  // Grouped by their code on top of Sentry's default grouping; a record without one keeps the default.
  const fingerprints = events.map((event) => JSON.stringify(event.fingerprint ?? null));
  expect(
    fingerprints.filter((print) => print === '["{{ default }}","WORKER_CRASHED"]'),
  ).toHaveLength(6);
  expect(fingerprints.filter((print) => print === 'null')).toHaveLength(3);
});
