import path from 'node:path';
import type { ChannelLogger } from '../../../src/logging/record.js';
import type { Caller } from '../../../src/orchestrator/api/access.js';
import type { NewCronBody } from '../../../src/orchestrator/api/schemas-crons.js';
import { CronScheduler, type StartRun } from '../../../src/orchestrator/crons.js';
import { CronsStore, cronsFile } from '../../../src/orchestrator/crons-store.js';
import { RunsStore, type RunRecord } from '../../../src/orchestrator/runs-store.js';
import { AtolyeError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/tmp.js';

// The scheduler over real SQLite stores, its clock moved by the test: when a cron fires, when a
// firing is skipped, and what becomes of a cron whose thread is gone. Runs are recorded in the
// runs' store as the API would (owned thread, pending run); the API test drives the real path.

const alice: Caller = { id: 1, name: 'alice', team: null, admin: false };
const admin: Caller = { id: 2, name: 'ops', team: null, admin: true };

let dirs: ReturnType<typeof tempDir>;
let runs: RunsStore;
let crons: CronsStore;
let clock: Date;
let lines: { level: string; msg: string; meta?: Record<string, unknown> }[];
let started: { caller: Caller; threadId: string; body: Parameters<StartRun>[2] }[];
let refuse: AtolyeError | undefined;
let removed: string[];
let removalFails = false;
let ends: Map<string, (run: RunRecord) => void>;
let scheduler: CronScheduler;

const logger: ChannelLogger = {
  error: (msg, meta) => lines.push({ level: 'error', msg, meta }),
  warn: (msg, meta) => lines.push({ level: 'warn', msg, meta }),
  info: (msg, meta) => lines.push({ level: 'info', msg, meta }),
  debug: () => undefined,
};

const startRun: StartRun = async (caller, threadId, body) => {
  if (refuse) throw refuse;
  started.push({ caller, threadId, body });
  if (body.if_not_exists === 'create') runs.createThread(threadId, {}, `key:${caller.name}`);
  return runs.createRun(`run-${started.length}`, threadId, body.input?.task ?? '', {
    metadata: body.metadata,
  });
};

/** Ends a run as the executor would, and lets whoever waits for it know. */
function finish(runId: string, status: RunRecord['status'] = 'success'): void {
  const run = runs.finish(runId, { status });
  ends.get(runId)?.(run);
}

function newScheduler(): CronScheduler {
  // Not started: no timer, the test ticks at the times it sets.
  return new CronScheduler({
    crons,
    runs,
    startRun,
    logger,
    now: () => clock,
    waitFor: (runId) => new Promise((resolve) => ends.set(runId, resolve)),
    removeThread: async (threadId) => {
      if (removalFails) throw new AtolyeError('THREAD_BUSY', `thread ${threadId} is busy`);
      removed.push(threadId);
      runs.db.prepare('DELETE FROM runs WHERE thread_id = ?').run(threadId);
      runs.db.prepare('DELETE FROM threads WHERE thread_id = ?').run(threadId);
    },
  });
}

function body(schedule: string, extra: Partial<NewCronBody> = {}): NewCronBody {
  return { assistant_id: 'atolye', schedule, input: { task: 'nightly check' }, ...extra };
}

async function tickAt(iso: string): Promise<void> {
  clock = new Date(iso);
  await scheduler.tick();
}

beforeEach(() => {
  dirs = tempDir('atolye-crons-');
  runs = new RunsStore(path.join(dirs.dir, 'orchestrator.sqlite'));
  crons = new CronsStore(cronsFile(dirs.dir));
  clock = new Date('2026-03-02T08:59:30.000Z');
  lines = [];
  started = [];
  refuse = undefined;
  removed = [];
  removalFails = false;
  ends = new Map();
  scheduler = newScheduler();
});

afterEach(async () => {
  await scheduler.stop();
  crons.close();
  runs.close();
  dirs.cleanup();
});

test('a cron fires when due, on a new thread each time, as its key without admin rights', async () => {
  const cron = scheduler.create(
    admin,
    null,
    body('0 9 * * *', { metadata: { team: 'qa' }, multitask_strategy: 'enqueue' }),
  );
  expect(cron).toMatchObject({ owner: 'key:ops', nextRunDate: '2026-03-02T09:00:00.000Z' });

  await tickAt('2026-03-02T08:59:59.000Z');
  expect(started).toHaveLength(0);

  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started).toHaveLength(1);
  expect(started[0]?.caller).toEqual({ ...admin, admin: false });
  expect(started[0]?.body).toMatchObject({
    input: { task: 'nightly check' },
    metadata: { team: 'qa', cron_id: cron.cronId },
    multitask_strategy: 'enqueue',
    if_not_exists: 'create',
  });
  expect(crons.get(cron.cronId, { all: true })).toMatchObject({
    lastRunId: 'run-1',
    nextRunDate: '2026-03-03T09:00:00.000Z',
  });

  finish('run-1');
  await tickAt('2026-03-03T09:00:00.000Z');
  expect(started.map((run) => run.threadId)).toHaveLength(2);
  expect(new Set(started.map((run) => run.threadId)).size).toBe(2);
});

test('a firing while the previous run is pending or running is skipped, with a line', async () => {
  runs.createThread('t1', {}, 'key:alice');
  const cron = scheduler.create(alice, 't1', body('* * * * *'));

  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started).toHaveLength(1);
  runs.markRunning('run-1', 0, null);

  await tickAt('2026-03-02T09:01:00.000Z');
  expect(started).toHaveLength(1);
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      msg: `cron ${cron.cronId} skipped this firing: its previous run run-1 is still running`,
    }),
  );

  finish('run-1', 'error');
  await tickAt('2026-03-02T09:02:00.000Z');
  expect(started.map((run) => run.threadId)).toEqual(['t1', 't1']);
});

test('firings missed while stopped happen once, then the schedule goes on from now', async () => {
  const cron = scheduler.create(alice, null, body('*/5 * * * *'));
  await tickAt('2026-03-02T11:58:00.000Z');
  expect(started).toHaveLength(1);
  expect(crons.get(cron.cronId, { all: true })?.nextRunDate).toBe('2026-03-02T12:00:00.000Z');
});

test('a thread cron whose thread is gone deletes itself, with a line', async () => {
  runs.createThread('t2', {}, 'key:alice');
  const cron = scheduler.create(alice, 't2', body('0 9 * * *'));
  runs.db.prepare('DELETE FROM threads WHERE thread_id = ?').run('t2');

  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started).toHaveLength(0);
  expect(crons.get(cron.cronId, { all: true })).toBeUndefined();
  expect(lines).toContainEqual(
    expect.objectContaining({ msg: `cron ${cron.cronId} deleted: its thread t2 no longer exists` }),
  );
});

test('a refused firing is a line; the cron stays and fires at its next time', async () => {
  runs.createThread('t3', {}, 'key:alice');
  const cron = scheduler.create(alice, 't3', body('0 9 * * *'));
  refuse = new AtolyeError('THREAD_BUSY', 'thread t3 is busy with run r0');
  await tickAt('2026-03-02T09:00:00.000Z');
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      msg: `cron ${cron.cronId} started no run: thread t3 is busy with run r0`,
      meta: expect.objectContaining({ code: 'THREAD_BUSY' }),
    }),
  );
  refuse = undefined;
  await tickAt('2026-03-03T09:00:00.000Z');
  expect(started).toHaveLength(1);
});

test('disabled and ended crons do not fire; updates recompute the next time', async () => {
  const cron = scheduler.create(alice, null, body('0 9 * * *', { enabled: false }));
  expect(cron.nextRunDate).toBeNull();
  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started).toHaveLength(0);

  const enabled = scheduler.update(
    cron.cronId,
    { owners: ['key:alice'] },
    {
      enabled: true,
      end_time: '2026-03-04T08:00:00+00:00',
      input: { task: 'weekly check' },
    },
  );
  expect(enabled).toMatchObject({
    enabled: true,
    endTime: '2026-03-04T08:00:00.000Z',
    nextRunDate: '2026-03-03T09:00:00.000Z',
    payload: { input: { task: 'weekly check' } },
  });
  await tickAt('2026-03-03T09:00:00.000Z');
  expect(started).toHaveLength(1);
  expect(crons.get(cron.cronId, { all: true })?.nextRunDate).toBeNull();
});

test('creation refuses a past end time, a thread out of scope and another owner of an admin', () => {
  expect(() =>
    scheduler.create(alice, null, body('0 9 * * *', { end_time: '2026-03-01T00:00:00Z' })),
  ).toThrow(/end_time 2026-03-01T00:00:00Z has passed/);

  runs.createThread('bobs', {}, 'key:bob');
  expect(() => scheduler.create(alice, 'bobs', body('0 9 * * *'))).toThrow(
    expect.objectContaining({ code: 'THREAD_NOT_FOUND' }),
  );
  expect(() => scheduler.create(admin, 'bobs', body('0 9 * * *'))).toThrow(
    /thread bobs belongs to key:bob, and a cron runs as the key that creates it/,
  );
  expect(() => scheduler.update('nope', { all: true }, {})).toThrow(
    expect.objectContaining({ code: 'CRON_NOT_FOUND' }),
  );
});

test('a cron survives a new scheduler on the same file', async () => {
  const cron = scheduler.create(alice, null, body('0 9 * * *'));
  await scheduler.stop();
  crons.close();
  crons = new CronsStore(cronsFile(dirs.dir));
  scheduler = newScheduler();
  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started[0]?.body.metadata).toMatchObject({ cron_id: cron.cronId });
  const run = runs.get('run-1') as RunRecord;
  expect(runs.thread(run.threadId, { owners: ['key:alice'] })).toBeDefined();
});

test('on_run_completed "delete": the thread goes when its run ends, or at the next firing', async () => {
  const cron = scheduler.create(alice, null, body('0 9 * * *', { on_run_completed: 'delete' }));
  await tickAt('2026-03-02T09:00:00.000Z');
  const first = runs.get('run-1') as RunRecord;
  finish('run-1');
  await eventually(() => removed.length === 1);
  expect(removed).toEqual([first.threadId]);
  expect(runs.thread(first.threadId, { all: true })).toBeUndefined();

  // Stopped before its run ended: the next scheduler removes the thread before it fires again.
  await tickAt('2026-03-03T09:00:00.000Z');
  const second = runs.get('run-2') as RunRecord;
  await scheduler.stop();
  finish('run-2');
  scheduler = newScheduler();
  await tickAt('2026-03-04T09:00:00.000Z');
  expect(removed).toEqual([first.threadId, second.threadId]);
  expect(lines).toContainEqual(
    expect.objectContaining({
      msg: `cron ${cron.cronId} removed thread ${second.threadId} of its run`,
    }),
  );
  expect(started).toHaveLength(3);
});

/** Resolves once `check` holds; the scheduler removes threads after a run's end, not in it. */
async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

test('the run fields reach each run as sent; an update merges them and null removes a webhook', async () => {
  const cron = scheduler.create(
    alice,
    null,
    body('0 9 * * *', {
      interrupt_before: ['act'],
      webhook: 'https://hooks.example.com/cron',
    }),
  );
  const updated = scheduler.update(
    cron.cronId,
    { owners: ['key:alice'] },
    {
      webhook: null,
      input: { task: 'check again' },
    },
  );
  expect(updated.payload).toEqual({ input: { task: 'check again' }, interrupt_before: ['act'] });
  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started[0]?.body).toMatchObject({
    interrupt_before: ['act'],
    input: { task: 'check again' },
  });
  expect(started[0]?.body).not.toHaveProperty('webhook');
});

test('a thread that cannot be removed is a line, and the cron fires on', async () => {
  const cron = scheduler.create(alice, null, body('0 9 * * *', { on_run_completed: 'delete' }));
  await tickAt('2026-03-02T09:00:00.000Z');
  const first = runs.get('run-1') as RunRecord;
  removalFails = true;
  finish('run-1');
  const behind = `cron ${cron.cronId} left thread ${first.threadId} behind: thread ${first.threadId} is busy`;
  await eventually(() => lines.some((line) => line.msg === behind));
  await tickAt('2026-03-03T09:00:00.000Z');
  expect(started).toHaveLength(2);
});
