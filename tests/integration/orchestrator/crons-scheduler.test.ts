import path from 'node:path';
import type { ChannelLogger } from '../../../src/logging/record.js';
import type { Caller } from '../../../src/orchestrator/api/access.js';
import type { NewCronBody } from '../../../src/orchestrator/api/schemas-crons.js';
import { CronScheduler, type StartRun } from '../../../src/orchestrator/crons.js';
import { CronsStore, cronsFile } from '../../../src/orchestrator/crons-store.js';
import { RunsStore, type RunRecord } from '../../../src/orchestrator/runs-store.js';
import { AtolyeError } from '../../../src/errors.js';
import { openSqlite } from '../../../src/store/database.js';
import { eventually } from '../../helpers/eventually.js';
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
  if (body.if_not_exists === 'create') await runs.createThread(threadId, {}, `key:${caller.name}`);
  return runs.createRun(`run-${started.length}`, threadId, body.input?.task ?? '', {
    metadata: body.metadata,
  });
};

/** Ends a run as the executor would, and lets whoever waits for it know. */
async function finish(runId: string, status: RunRecord['status'] = 'success'): Promise<void> {
  const run = await runs.finish(runId, { status });
  ends.get(runId)?.(run);
}

function newScheduler(store = crons): CronScheduler {
  // Not started: no timer, the test ticks at the times it sets.
  return new CronScheduler({
    crons: store,
    maxSleepMs: 50,
    runs,
    startRun,
    logger,
    now: () => clock,
    waitFor: (runId) => new Promise((resolve) => ends.set(runId, resolve)),
    removeThread: async (threadId) => {
      if (removalFails) throw new AtolyeError('THREAD_BUSY', `thread ${threadId} is busy`);
      removed.push(threadId);
      await runs.deleteThread(threadId);
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
  runs = RunsStore.inFile(path.join(dirs.dir, 'orchestrator.sqlite'));
  crons = CronsStore.inFile(cronsFile(dirs.dir));
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
  await crons.close();
  await runs.close();
  dirs.cleanup();
});

test('a cron fires when due, on a new thread each time, as its key without admin rights', async () => {
  const cron = await scheduler.create(
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
  expect(await crons.get(cron.cronId, { all: true })).toMatchObject({
    lastRunId: 'run-1',
    nextRunDate: '2026-03-03T09:00:00.000Z',
  });

  await finish('run-1');
  await tickAt('2026-03-03T09:00:00.000Z');
  expect(started.map((run) => run.threadId)).toHaveLength(2);
  expect(new Set(started.map((run) => run.threadId)).size).toBe(2);
});

test('a firing while the previous run is pending or running is skipped, with a line', async () => {
  await runs.createThread('t1', {}, 'key:alice');
  const cron = await scheduler.create(alice, 't1', body('* * * * *'));

  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started).toHaveLength(1);
  await runs.markRunning('run-1', 0, null);

  await tickAt('2026-03-02T09:01:00.000Z');
  expect(started).toHaveLength(1);
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      msg: `cron ${cron.cronId} skipped this firing: its previous run run-1 is still running`,
    }),
  );

  await finish('run-1', 'error');
  await tickAt('2026-03-02T09:02:00.000Z');
  expect(started.map((run) => run.threadId)).toEqual(['t1', 't1']);
});

test('firings missed while stopped happen once, then the schedule goes on from now', async () => {
  const cron = await scheduler.create(alice, null, body('*/5 * * * *'));
  await tickAt('2026-03-02T11:58:00.000Z');
  expect(started).toHaveLength(1);
  expect((await crons.get(cron.cronId, { all: true }))?.nextRunDate).toBe(
    '2026-03-02T12:00:00.000Z',
  );
});

test('a thread cron whose thread is gone deletes itself, with a line', async () => {
  await runs.createThread('t2', {}, 'key:alice');
  const cron = await scheduler.create(alice, 't2', body('0 9 * * *'));
  await runs.deleteThread('t2');

  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started).toHaveLength(0);
  expect(await crons.get(cron.cronId, { all: true })).toBeUndefined();
  expect(lines).toContainEqual(
    expect.objectContaining({ msg: `cron ${cron.cronId} deleted: its thread t2 no longer exists` }),
  );
});

test('a refused firing is a line; the cron stays and fires at its next time', async () => {
  await runs.createThread('t3', {}, 'key:alice');
  const cron = await scheduler.create(alice, 't3', body('0 9 * * *'));
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
  const cron = await scheduler.create(alice, null, body('0 9 * * *', { enabled: false }));
  expect(cron.nextRunDate).toBeNull();
  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started).toHaveLength(0);

  const enabled = await scheduler.update(
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
  expect((await crons.get(cron.cronId, { all: true }))?.nextRunDate).toBeNull();
});

test('creation refuses a past end time, a thread out of scope and another owner of an admin', async () => {
  await expect(
    scheduler.create(alice, null, body('0 9 * * *', { end_time: '2026-03-01T00:00:00Z' })),
  ).rejects.toThrow(/end_time 2026-03-01T00:00:00Z has passed/);

  await runs.createThread('bobs', {}, 'key:bob');
  await expect(scheduler.create(alice, 'bobs', body('0 9 * * *'))).rejects.toThrow(
    expect.objectContaining({ code: 'THREAD_NOT_FOUND' }),
  );
  await expect(scheduler.create(admin, 'bobs', body('0 9 * * *'))).rejects.toThrow(
    /thread bobs belongs to key:bob, and a cron runs as the key that creates it/,
  );
  await expect(scheduler.update('nope', { all: true }, {})).rejects.toThrow(
    expect.objectContaining({ code: 'CRON_NOT_FOUND' }),
  );
  expect(await crons.count({}, { all: true })).toBe(0);
});

test('a cron survives a new scheduler on the same file', async () => {
  const cron = await scheduler.create(alice, null, body('0 9 * * *'));
  await scheduler.stop();
  await crons.close();
  crons = CronsStore.inFile(cronsFile(dirs.dir));
  scheduler = newScheduler();
  await tickAt('2026-03-02T09:00:00.000Z');
  expect(started[0]?.body.metadata).toMatchObject({ cron_id: cron.cronId });
  const run = (await runs.get('run-1')) as RunRecord;
  expect(await runs.thread(run.threadId, { owners: ['key:alice'] })).toBeDefined();
});

test('on_run_completed "delete": the thread goes when its run ends, or at the next firing', async () => {
  const cron = await scheduler.create(
    alice,
    null,
    body('0 9 * * *', { on_run_completed: 'delete' }),
  );
  await tickAt('2026-03-02T09:00:00.000Z');
  const first = (await runs.get('run-1')) as RunRecord;
  await finish('run-1');
  // The scheduler removes threads after a run's end, not in it.
  await eventually('the thread of run-1 removed', () => removed.length === 1);
  expect(removed).toEqual([first.threadId]);
  expect(await runs.thread(first.threadId, { all: true })).toBeUndefined();

  // Stopped before its run ended: the next scheduler removes the thread before it fires again.
  await tickAt('2026-03-03T09:00:00.000Z');
  const second = (await runs.get('run-2')) as RunRecord;
  await scheduler.stop();
  await finish('run-2');
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

test('the run fields reach each run as sent; an update merges them and null removes a webhook', async () => {
  const cron = await scheduler.create(
    alice,
    null,
    body('0 9 * * *', {
      interrupt_before: ['act'],
      webhook: 'https://hooks.example.com/cron',
    }),
  );
  const updated = await scheduler.update(
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
  const cron = await scheduler.create(
    alice,
    null,
    body('0 9 * * *', { on_run_completed: 'delete' }),
  );
  await tickAt('2026-03-02T09:00:00.000Z');
  const first = (await runs.get('run-1')) as RunRecord;
  removalFails = true;
  await finish('run-1');
  const behind = `cron ${cron.cronId} left thread ${first.threadId} behind: thread ${first.threadId} is busy`;
  await eventually('the line about the thread left behind', () =>
    lines.some((line) => line.msg === behind),
  );
  await tickAt('2026-03-03T09:00:00.000Z');
  expect(started).toHaveLength(2);
});

test('started, it fires what is due by itself; a store that cannot answer is a line', async () => {
  await scheduler.create(alice, null, body('0 9 * * *'));
  clock = new Date('2026-03-02T09:00:00.000Z');
  scheduler.start();
  await eventually('the firing of the started scheduler', () => started.length === 1);
  await scheduler.stop();

  // A database without the crons table: every query of the store fails.
  const broken = new CronsStore(
    openSqlite(path.join(dirs.dir, 'broken.sqlite'), { sqlite: [], postgres: [] }),
  );
  scheduler = newScheduler(broken);
  scheduler.start();
  await eventually('a line about the store', () =>
    lines.some(
      (line) =>
        line.level === 'error' &&
        line.msg.startsWith('crons: cannot read when the next cron is due: '),
    ),
  );
  // It looks again after the longest sleep, and a tick that fails is a line too.
  await eventually('a line about the failed tick', () =>
    lines.some((line) => line.msg.startsWith('crons: a tick failed: ')),
  );
  expect(started).toHaveLength(1);
  await scheduler.stop();
  await broken.close();
});
