/**
 * Whole processes with error monitoring (Sentry's init is process-global): each scenario runs in
 * its own Node process and reports to a real ingest server on loopback.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { runScenario } from './fixtures/child.js';
import { startIngest, type IngestServer } from './fixtures/ingest.js';

const signing = `sig-${randomBytes(12).toString('hex')}`;
const bearer = randomBytes(16).toString('hex');
const openaiKey = `sk-proj-${randomBytes(16).toString('hex')}`;
const secrets = [signing, bearer, openaiKey];

let ingest: IngestServer;

beforeEach(async () => {
  ingest = await startIngest();
});

afterEach(async () => {
  await ingest.close();
});

function scenarioEnv(scenario: string, environ: Record<string, string>): Record<string, string> {
  return {
    SCENARIO: scenario,
    SCENARIO_ENVIRON: JSON.stringify({
      ATOLYE_SIGNING_SECRET: signing,
      ATOLYE_RELEASE: '5.0.0-it',
      ...environ,
    }),
    SCENARIO_BEARER: bearer,
    SCENARIO_OPENAI_KEY: openaiKey,
  };
}

function expectNoSecretOnTheWire(): void {
  expect(ingest.received.length).toBeGreaterThan(0);
  for (const { wire, body, path } of ingest.received) {
    for (const text of [wire.toString('latin1'), body.toString('latin1'), path]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  }
}

it('delivers a failed invocation with environment, release and tags, and no secret', async () => {
  const logs = tempDir('atolye-monitoring-logs-');
  try {
    const run = await runScenario(
      scenarioEnv('invocation', { SENTRY_DSN: ingest.dsn, ATOLYE_LOG_DIR: logs.dir }),
    );
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ on: true, again: true, flushed: true });

    // The error logged by the step: written to the errors channel with the id of its Sentry event.
    const lines = readFileSync(path.join(logs.dir, 'errors.log'), 'utf8').trim().split('\n');
    const record = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((r) => r.msg === 'agent step failed');
    expect(record?.sentryEventId).toMatch(/^[0-9a-f]{32}$/);
    for (const secret of secrets) expect(lines.join('\n')).not.toContain(secret);

    const invocationTags = {
      service: 'atolye-worker',
      function: 'agent-step',
      step: 'plan',
      runId: 'run-7',
      threadId: 'thread-3',
      invocationId: 'inv-1',
    };
    const logged = await ingest.waitForEvent(
      (candidate) => candidate.event_id === record?.sentryEventId,
    );
    expect(logged.environment).toBe('testing');
    expect(logged.release).toBe('5.0.0-it');
    expect(logged.tags).toEqual(invocationTags);
    const exceptions = (logged.exception as { values: Array<{ type: string }> }).values.map(
      (value) => value.type,
    );
    expect(exceptions).toEqual(['Error', 'AtolyeError']);
    expect(logged.extra).toMatchObject({ log: { channel: 'agent', msg: 'agent step failed' } });
    expect(logged.breadcrumbs).toHaveLength(1);

    const captured = await ingest.waitForEvent(
      (candidate) => candidate.event_id === run.result?.capturedId,
    );
    expect(captured.tags).toEqual(invocationTags);
    expect(captured.environment).toBe('testing');
    expect(captured.release).toBe('5.0.0-it');

    expect(ingest.received).toHaveLength(2);
    expectNoSecretOnTheWire();
  } finally {
    logs.cleanup();
  }
});

it('reports an uncaught exception with the invocation tags, then exits with code 1', async () => {
  const run = await runScenario(scenarioEnv('uncaught', { SENTRY_DSN: ingest.dsn }));
  expect(run.code).toBe(1);
  const event = await ingest.waitForEvent(() => true);
  expect(event.level).toBe('fatal');
  expect(event.tags).toEqual({
    service: 'atolye-worker',
    function: 'agent-step',
    step: 'crash',
    runId: 'run-9',
  });
  expect(JSON.stringify(event.exception)).toContain('"handled":false');
  expectNoSecretOnTheWire();
});

it('without a DSN stays off and sends nothing, even with SENTRY_DSN in the process environment', async () => {
  const run = await runScenario({
    ...scenarioEnv('off', { SENTRY_DSN: '' }),
    SENTRY_DSN: ingest.dsn,
  });
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  expect(run.result).toEqual({ on: false, eventId: null, scoped: 'ran', flushed: true });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(ingest.received).toHaveLength(0);
});
