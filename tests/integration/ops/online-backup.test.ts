import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import { startProcess, type WatchedProcess } from '../../helpers/processes.js';
import { installation, type Installation } from './fixture.js';

// A second process keeps writing threads and runs while `atolye backup` copies the store.

const WRITER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');
const thread = db.prepare("INSERT INTO threads (thread_id, created_at, updated_at) VALUES (?, ?, ?)");
const run = db.prepare("INSERT INTO runs (run_id, thread_id, seq, task, status, created_at, updated_at) VALUES (?, ?, 1, ?, 'running', ?, ?)");
const batch = db.transaction((from, size) => {
  const now = new Date().toISOString();
  for (let i = from; i < from + size; i++) {
    thread.run('t' + i, now, now);
    run.run('r' + i, 't' + i, 'x'.repeat(2000), now, now);
  }
});
batch(0, 3000);
process.stdout.write('ready\\n');
let next = 3000;
setInterval(() => { batch(next, 25); next += 25; }, 1);
`;

let site: Installation;
let writer: WatchedProcess | undefined;

beforeEach(() => {
  site = installation('atolye-ops-online-');
});

afterEach(async () => {
  await writer?.stop({ signal: 'SIGKILL' });
  site.cleanup();
});

async function startWriter(file: string): Promise<WatchedProcess> {
  const child = startProcess(process.execPath, ['-e', WRITER, file], { cwd: process.cwd() });
  await child.waitFor(/^ready$/m, 'the writer to fill its first rows');
  return child;
}

function count(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM runs').pluck().get() as number;
  } finally {
    db.close();
  }
}

test('a backup taken while another process inserts is a consistent store that passes integrity_check', async () => {
  const file = path.join(site.dataDir, 'orchestrator.sqlite');
  await RunsStore.inFile(file).close(); // the real schema
  writer = await startWriter(file);

  const before = count(file);
  const archive = path.join(site.root, 'online.tar.gz');
  const made = await site.atolye('backup', '--out', archive);
  expect(made.stderr).toBe('');
  expect(made.code).toBe(0);
  const after = count(file);
  expect(writer.child.exitCode).toBeNull(); // the writer never failed on a lock
  expect(after).toBeGreaterThan(before); // it kept writing around the backup

  const unpacked = path.join(site.root, 'unpacked');
  mkdirSync(unpacked);
  await tar.extract({ file: archive, cwd: unpacked });
  const copy = new Database(path.join(unpacked, 'stores', 'orchestrator.sqlite'), {
    fileMustExist: true,
  });
  try {
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const runs = copy.prepare('SELECT COUNT(*) FROM runs').pluck().get() as number;
    expect(runs).toBeGreaterThanOrEqual(before);
    expect(runs).toBeLessThanOrEqual(after);
    // Whole transactions only: batches of 25 after the first 3000, every run with its thread.
    expect((runs - 3000) % 25).toBe(0);
    const orphans = copy
      .prepare('SELECT COUNT(*) FROM runs WHERE thread_id NOT IN (SELECT thread_id FROM threads)')
      .pluck()
      .get();
    expect(orphans).toBe(0);
  } finally {
    copy.close();
  }
});
