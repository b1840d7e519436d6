import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MaintenanceReport } from '../../../src/ops/index.js';
import type { RunsStore } from '../../../src/orchestrator/runs-store.js';
import {
  age,
  DAY,
  installation,
  populate,
  tableRows,
  treeDigest,
  type Installation,
} from './fixture.js';

// `atolye maintenance` on real stores: old-recent-busy threads, a stray workspace, the logs.

let site: Installation;
let store: RunsStore;

beforeEach(async () => {
  site = installation('atolye-ops-maintenance-');
  store = await populate(site, ['old-idle', 'old-busy', 'recent']);
  await age(store, 'old-idle', 45);
  await store.createRun('run-busy-2', 'old-busy', 'still going');
  await store.markRunning('run-busy-2', 0, null);
  await age(store, 'old-busy', 45);
  await age(store, 'recent', 3);
  await store.close();
  const stray = path.join(site.workspaceRoot, 'stray');
  mkdirSync(stray);
  writeFileSync(path.join(stray, 'left.txt'), 'from a thread long gone');
  const old = new Date(Date.now() - 90 * DAY);
  utimesSync(path.join(stray, 'left.txt'), old, old);
  utimesSync(stray, old, old);
  // Baseline repositories: the old idle thread's goes with it, the busy one's stays, and the
  // folder holding them is never taken for a stray workspace, however old.
  for (const thread of ['old-idle', 'old-busy']) {
    mkdirSync(path.join(site.workspaceRoot, '.atolye-git', `${thread}.git`), { recursive: true });
  }
  utimesSync(path.join(site.workspaceRoot, '.atolye-git'), old, old);
});

afterEach(() => site.cleanup());

function snapshot(): Record<string, string> {
  const digest = treeDigest(site.dataDir);
  // The stores' bytes too, not just the rows: a dry run must not even vacuum.
  for (const name of ['orchestrator.sqlite', 'checkpoints.sqlite']) {
    digest[`${name}#bytes`] = createHash('sha256')
      .update(readFileSync(path.join(site.dataDir, name)))
      .digest('hex');
  }
  return digest;
}

async function maintenance(...args: string[]): Promise<MaintenanceReport> {
  const result = await site.atolye('maintenance', '--json', ...args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as MaintenanceReport;
}

function threadIds(name: 'threads' | 'checkpoints' | 'writes'): string[] {
  const file = name === 'threads' ? 'orchestrator.sqlite' : 'checkpoints.sqlite';
  const rows = tableRows(path.join(site.dataDir, file))[name] ?? [];
  return [
    ...new Set(rows.map((row) => (JSON.parse(row) as { thread_id: string }).thread_id)),
  ].sort();
}

test('the dry run lists what would go and changes nothing', async () => {
  const before = snapshot();
  const report = await maintenance();
  expect(report.applied).toBe(false);
  expect(report.olderThanDays).toBe(30);
  expect(report.threads).toEqual([
    expect.objectContaining({
      threadId: 'old-idle',
      runs: 1,
      runEvents: 1,
      checkpoints: 1,
      writes: 1,
      workspace: true,
    }),
  ]);
  expect(report.keptActive).toEqual(['old-busy']);
  expect(report.orphanWorkspaces).toEqual(['stray']);
  expect(report.stores.map((s) => s.name)).toEqual([
    'api-keys.sqlite',
    'checkpoints.sqlite',
    'orchestrator.sqlite',
  ]);
  expect(report.logs).toMatchObject({ dir: site.logDir, files: 3 });
  expect(report.logs.bytes).toBeGreaterThan(0);
  expect(snapshot()).toEqual(before);

  const text = await site.atolye('maintenance');
  expect(text.stdout).toContain('dry run: nothing was changed');
  expect(text.stdout).toContain('would prune 1 threads');
  expect(text.stdout).toContain('old-idle');
  expect(text.stdout).toContain('kept 1 old threads with a pending or running run: old-busy');
  expect(snapshot()).toEqual(before);
});

test('--apply prunes the old idle thread everywhere, keeps the busy and recent ones, vacuums', async () => {
  const report = await maintenance('--apply');
  expect(report.applied).toBe(true);
  expect(report.threads.map((t) => t.threadId)).toEqual(['old-idle']);
  expect(report.stores.every((s) => typeof s.bytesAfter === 'number')).toBe(true);

  expect(threadIds('threads')).toEqual(['old-busy', 'recent']);
  expect(threadIds('checkpoints')).toEqual(['old-busy', 'recent']);
  expect(threadIds('writes')).toEqual(['old-busy', 'recent']);
  const orchestrator = tableRows(path.join(site.dataDir, 'orchestrator.sqlite'));
  expect(orchestrator.runs?.some((row) => row.includes('old-idle'))).toBe(false);
  expect(orchestrator.run_events).toHaveLength(2);
  expect(existsSync(path.join(site.workspaceRoot, 'old-idle'))).toBe(false);
  expect(existsSync(path.join(site.workspaceRoot, 'stray'))).toBe(false);
  expect(existsSync(path.join(site.workspaceRoot, 'old-busy'))).toBe(true);
  expect(existsSync(path.join(site.workspaceRoot, 'recent'))).toBe(true);
  expect(existsSync(path.join(site.workspaceRoot, '.atolye-git', 'old-idle.git'))).toBe(false);
  expect(existsSync(path.join(site.workspaceRoot, '.atolye-git', 'old-busy.git'))).toBe(true);

  // Nothing is left for a second pass; a shorter age reaches the recent thread.
  expect((await maintenance('--apply')).threads).toEqual([]);
  expect((await maintenance('--older-than', '1')).threads.map((t) => t.threadId)).toEqual([
    'recent',
  ]);
});

test('a bad --older-than is a usage error', async () => {
  const result = await site.atolye('maintenance', '--older-than', 'soon');
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('use a number of days');
});
