import { mkdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import type { Executor, ExecutorOptions } from '../../../src/orchestrator/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { hostConfig } from '../deploy/helpers.js';
import {
  agentRecords,
  callsOf,
  createStepExecutor,
  startStepHost,
  stepsOf,
  type StepHost,
} from './helpers.js';
import { eventually } from '../../helpers/eventually.js';

// Real host, real worker processes, real SQLite: the executor drives scripted step functions.

const FULL_RUN = ['plan', 'act', 'tools', 'act', 'review', 'finalize'];

let root: ReturnType<typeof tempDir>;
let fixtureDir: string;
let stepHost: StepHost;

beforeAll(async () => {
  root = tempDir('atolye-orchestrator-');
  fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
}, 60_000);

afterAll(async () => {
  await stepHost?.stop();
  root?.cleanup();
});

let dataDir: string;
let logDir: string;
let logging: Logging;
let executors: Executor[];
let runDirs: ReturnType<typeof tempDir>;

beforeEach(() => {
  runDirs = tempDir('atolye-orchestrator-run-');
  const dirs = runDirs;
  dataDir = path.join(dirs.dir, 'data');
  logDir = path.join(dirs.dir, 'logs');
  logging = createLogging(hostConfig(dataDir, logDir), { service: 'orchestrator' });
  executors = [];
});

afterEach(async () => {
  await Promise.all(executors.map((executor) => executor.close()));
  await logging.close();
  runDirs.cleanup();
});

function executor(overrides: Partial<ExecutorOptions> = {}): Executor {
  const created = createStepExecutor(stepHost, { dataDir, logging, ...overrides });
  executors.push(created);
  return created;
}

test('a task runs end to end: success, the run row filled in, one agent line per step', async () => {
  const runner = executor();
  const runId = await runner.startRun('thread-e2e', 'write notes');
  const run = await runner.waitFor(runId);

  expect(run).toMatchObject({
    runId,
    threadId: 'thread-e2e',
    task: 'write notes',
    status: 'success',
    stopReason: null,
    error: null,
    summary: 'success: write notes (notes.txt)',
  });
  // plan 20/10 + act 10/5 twice + finalize 10/5.
  expect(run.usage.inputTokens).toBe(50);
  expect(run.usage.outputTokens).toBe(25);
  expect(run.usage.costUsd).toBeCloseTo(0.005);
  expect(stepsOf(fixtureDir, runId)).toEqual(FULL_RUN);
  expect(await runner.getRun(runId)).toEqual(run);

  await runner.close();
  await logging.close();
  const steps = agentRecords(logDir).filter(
    (record) => record.runId === runId && record.msg.startsWith('step '),
  );
  expect(steps.map((record) => record.step)).toEqual(FULL_RUN);
  for (const record of steps) {
    expect(record).toMatchObject({ threadId: 'thread-e2e', level: 'info' });
    expect(typeof record.durationMs).toBe('number');
  }
  expect(steps.find((record) => record.step === 'plan')).toMatchObject({
    inputTokens: 20,
    outputTokens: 10,
  });
});

test('runs on one thread go one after another, and a follow-up run sees the earlier history', async () => {
  const runner = executor();
  const first = await runner.startRun('thread-follow', 'slow first task');
  const second = await runner.startRun('thread-follow', 'second task');
  expect((await runner.getRun(second))?.status).toBe('pending');

  const [firstRun, secondRun] = await Promise.all([runner.waitFor(first), runner.waitFor(second)]);
  expect(firstRun.status).toBe('success');
  expect(secondRun.status).toBe('success');
  expect(callsOf(fixtureDir, first)[0]).toEqual(['plan', 'history=0']);
  // The first run left its task, the tool call, the tool message and the final reply.
  expect(callsOf(fixtureDir, second)[0]).toEqual(['plan', 'history=4']);
  expect(secondRun.createdAt >= firstRun.createdAt).toBe(true);
  expect(new Date(secondRun.updatedAt) >= new Date(firstRun.updatedAt)).toBe(true);
  // Usage is the run's own, not the thread's running total.
  expect(secondRun.usage.inputTokens).toBe(50);
});

test('a cancelled run ends interrupted before its next act', async () => {
  const runner = executor();
  const runId = await runner.startRun('thread-cancel', 'slow task to cancel');
  await eventually('plan was called', () => stepsOf(fixtureDir, runId).includes('plan'));
  expect(await runner.cancel(runId)).toBe(true);

  const run = await runner.waitFor(runId);
  expect(run).toMatchObject({ status: 'interrupted', stopReason: 'cancelled' });
  expect(run.error?.code).toBe('RUN_CANCELLED');
  expect(stepsOf(fixtureDir, runId)).toEqual(['plan']);
  expect(await runner.cancel(runId)).toBe(false);
});

test('a pending run cancelled before its turn never calls a step', async () => {
  const runner = executor();
  const blocker = await runner.startRun('thread-queue', 'slow task ahead');
  const queued = await runner.startRun('thread-queue', 'never runs');
  expect(await runner.cancel(queued)).toBe(true);

  expect((await runner.waitFor(queued)).status).toBe('interrupted');
  expect((await runner.waitFor(blocker)).status).toBe('success');
  expect(stepsOf(fixtureDir, queued)).toEqual([]);
});

test('a step failing for good ends the run with error and the function message', async () => {
  const runner = executor();
  const runId = await runner.startRun('thread-error', 'act-fails on purpose');
  const run = await runner.waitFor(runId);

  expect(run.status).toBe('error');
  expect(run.stopReason).toBeNull();
  expect(run.error?.code).toBe('MODEL_REJECTED');
  expect(run.error?.message).toContain('the model rejected the request (scripted)');
  // Not retryable: act ran once although it declares a retry, and nothing ran after it.
  expect(stepsOf(fixtureDir, runId)).toEqual(['plan', 'act']);

  await runner.close();
  await logging.close();
  const failures = agentRecords(logDir).filter(
    (record) => record.runId === runId && record.step === 'act' && record.level !== 'info',
  );
  expect(failures.map((record) => record.msg)).toEqual([
    'step act failed',
    'step act attempt 1 of 2 failed (MODEL_REJECTED); not retryable, the run ends',
  ]);
  expect(failures[1]).toMatchObject({
    level: 'warn',
    attempt: 1,
    maxAttempts: 2,
    code: 'MODEL_REJECTED',
    retryable: false,
  });
});

test('a step failing once with a retryable error is retried as its function declares, and logged', async () => {
  const runner = executor();
  const runId = await runner.startRun('thread-flaky', 'act-flaky write notes');
  const run = await runner.waitFor(runId);

  expect(run).toMatchObject({ status: 'success', error: null });
  // The fixture act declares `retries: 1` in its manifest entry: the first act call failed and
  // the graph called it once more; the invoke client added no attempt of its own.
  expect(stepsOf(fixtureDir, runId)).toEqual([
    'plan',
    'act',
    'act',
    'tools',
    'act',
    'review',
    'finalize',
  ]);

  await runner.close();
  await logging.close();
  const acts = agentRecords(logDir).filter(
    (record) => record.runId === runId && record.step === 'act',
  );
  expect(acts.map((record) => [record.msg, record.attempt])).toEqual([
    ['step act failed', 1],
    ['step act attempt 1 of 2 failed (MODEL_TIMEOUT); retrying in 50 ms', 1],
    ['step act finished', 2],
    ['step act finished', 1],
  ]);
  expect(acts[0]).toMatchObject({ level: 'warn', code: 'MODEL_TIMEOUT' });
  expect(acts[1]).toMatchObject({
    level: 'warn',
    maxAttempts: 2,
    code: 'MODEL_TIMEOUT',
    error: expect.stringContaining('the model did not answer in time (scripted)'),
    retryable: true,
    delayMs: 50,
    jitterUpToMs: 0,
  });
});

test('a run reaching limits.maxIterations ends with error, stopReason max_iterations, and is finalized', async () => {
  const runner = executor({ limits: { maxIterations: 1 } });
  const runId = await runner.startRun('thread-max-iterations', 'write notes');
  const run = await runner.waitFor(runId);

  expect(run).toMatchObject({
    status: 'error',
    stopReason: 'max_iterations',
    summary: 'max_iterations: write notes (notes.txt)',
  });
  expect(run.error?.code).toBe('MAX_ITERATIONS');
  // The second act stopped before calling its step; finalize still wrote the summary.
  expect(stepsOf(fixtureDir, runId)).toEqual(['plan', 'act', 'tools', 'finalize']);
});

test('a run over its token or cost budget ends with error, stopReason budget_exceeded', async () => {
  // plan alone reports 20 + 10 tokens and $0.002.
  const byTokens = executor({ limits: { maxTokens: 30 } });
  const tokensRun = await byTokens.waitFor(await byTokens.startRun('thread-tokens', 'write notes'));
  expect(tokensRun).toMatchObject({ status: 'error', stopReason: 'budget_exceeded' });
  expect(tokensRun.error?.code).toBe('TOKEN_BUDGET_EXCEEDED');
  expect(stepsOf(fixtureDir, tokensRun.runId)).toEqual(['plan', 'finalize']);

  const byCost = executor({ limits: { maxCostUsd: 0.002 } });
  const costRun = await byCost.waitFor(await byCost.startRun('thread-cost', 'write notes'));
  expect(costRun).toMatchObject({ status: 'error', stopReason: 'budget_exceeded' });
  expect(costRun.error?.code).toBe('COST_BUDGET_EXCEEDED');
  expect(stepsOf(fixtureDir, costRun.runId)).toEqual(['plan', 'finalize']);
});

test('follow-up runs on a thread are not declared stuck by the calls of earlier runs', async () => {
  // Every run makes the same write_file call with the same result once: over three runs that is
  // three repeats in the thread's state, but never more than one within a run.
  const runner = executor();
  const ids: string[] = [];
  for (const n of [1, 2, 3])
    ids.push(await runner.startRun('thread-repeats', `write notes, run ${n}`));
  const runs = await Promise.all(ids.map((id) => runner.waitFor(id)));

  expect(runs.map((run) => [run.status, run.stopReason])).toEqual(Array(3).fill(['success', null]));
  for (const id of ids) expect(stepsOf(fixtureDir, id)).toEqual(FULL_RUN);
});

test('a run outliving limits.runTimeoutMs ends with timeout', async () => {
  const runner = executor({ limits: { runTimeoutMs: 300 } });
  const runId = await runner.startRun('thread-timeout', 'slow task');
  const run = await runner.waitFor(runId);

  expect(run.status).toBe('timeout');
  expect(run.error?.code).toBe('RUN_TIMEOUT');
  await runner.close();

  // The thread is not stuck on the cut-off step: the next run starts over from plan.
  const next = executor();
  const nextId = await next.startRun('thread-timeout', 'write notes after the timeout');
  expect((await next.waitFor(nextId)).status).toBe('success');
  expect(stepsOf(fixtureDir, nextId)).toEqual(FULL_RUN);
});

test('a run whose graph ended before its row was written is completed from the checkpoint', async () => {
  const first = executor();
  const runId = await first.startRun('thread-ended', 'write notes');
  expect((await first.waitFor(runId)).status).toBe('success');
  await first.close();
  const db = new Database(path.join(dataDir, 'orchestrator.sqlite'));
  db.prepare(`UPDATE runs SET status = 'running', summary = NULL WHERE run_id = ?`).run(runId);
  db.close();

  const second = executor();
  expect(await second.resumeUnfinished()).toBe(1);
  const run = await second.waitFor(runId);
  expect(run).toMatchObject({ status: 'success', summary: 'success: write notes (notes.txt)' });
  expect(run.usage.inputTokens).toBe(50);
  expect(stepsOf(fixtureDir, runId)).toEqual(FULL_RUN);
});

test('a run cut off by a stopped orchestrator resumes from its checkpoint, plan not run again', async () => {
  const first = executor();
  const runId = await first.startRun('thread-resume', 'block under the orchestrator');
  await eventually('act was called', () => stepsOf(fixtureDir, runId).includes('act'));
  await first.close();

  const left = await executor().getRun(runId);
  expect(left?.status).toBe('running');
  await executors[1]?.close();

  const second = executor();
  expect(await second.resumeUnfinished()).toBe(1);
  const run = await second.waitFor(runId);

  expect(run.status).toBe('success');
  expect(run.summary).toContain('block under the orchestrator');
  const steps = stepsOf(fixtureDir, runId);
  expect(steps.filter((step) => step === 'plan')).toHaveLength(1);
  // The cut-off act was answered once by the host (same idempotency key), not run twice.
  expect(steps).toEqual(FULL_RUN);
  expect(run.usage.inputTokens).toBe(50);
  expect(await second.resumeUnfinished()).toBe(0);
});
