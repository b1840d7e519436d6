import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { create as createTar } from 'tar';
import { loadConfig } from '../../../src/config/index.js';
import { ThreadWorkspaces } from '../../../src/orchestrator/thread-workspace.js';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

// The workspace service below the routes: imports refused while a run is active or another
// import is under way, and a run's own diff between its snapshots.

let tmp: ReturnType<typeof tempDir>;
let store: RunsStore;
let workspaces: ThreadWorkspaces;

beforeEach(() => {
  tmp = tempDir();
  store = RunsStore.inFile(path.join(tmp.dir, 'orchestrator.sqlite'));
  const { config } = loadConfig({ env: 'testing' });
  workspaces = new ThreadWorkspaces({ config, store, root: path.join(tmp.dir, 'ws') });
});
afterEach(async () => {
  await store.close();
  tmp.cleanup();
});

function archiveOf(files: Record<string, string>): ReadableStream<Uint8Array> {
  const dir = path.join(tmp.dir, `src-${randomUUID()}`);
  writeFiles(dir, files);
  const tar = createTar({ cwd: dir, gzip: true, portable: true }, readdirSync(dir));
  return Readable.toWeb(Readable.from(tar)) as ReadableStream<Uint8Array>;
}

test('an import into a thread with an active run is refused and writes nothing', async () => {
  const threadId = randomUUID();
  await store.createThread(threadId);
  const run = await store.createRun(randomUUID(), threadId, 'a task');
  await expect(
    workspaces.importArchive(threadId, archiveOf({ 'a.txt': 'a' })),
  ).rejects.toMatchObject({ code: 'THREAD_BUSY', message: expect.stringContaining(run.runId) });
  expect(existsSync(path.join(tmp.dir, 'ws', threadId))).toBe(false);
});

test('a second import while the first is under way is refused', async () => {
  const threadId = randomUUID();
  await store.createThread(threadId);
  const first = workspaces.importArchive(threadId, archiveOf({ 'a.txt': 'a' }));
  await expect(
    workspaces.importArchive(threadId, archiveOf({ 'b.txt': 'b' })),
  ).rejects.toMatchObject({ code: 'THREAD_BUSY' });
  await expect(first).resolves.toMatchObject({ files: 1 });
  expect(readdirSync(path.join(tmp.dir, 'ws', threadId))).toEqual(['a.txt']);
});

test("a run's diff runs from its start snapshot to its end snapshot", async () => {
  const threadId = randomUUID();
  await store.createThread(threadId);
  await workspaces.importArchive(threadId, archiveOf({ 'a.txt': 'one\n' }));
  const runId = randomUUID();
  await store.createRun(runId, threadId, 'task');
  await expect(workspaces.diff(threadId, runId)).rejects.toMatchObject({
    code: 'RUN_DIFF_UNAVAILABLE',
  });
  await workspaces.runStarted(threadId, runId);
  const workspace = path.join(tmp.dir, 'ws', threadId);
  writeFiles(workspace, { 'a.txt': 'two\n' });
  expect(String(await workspaces.diff(threadId, runId))).toContain('+two');
  await workspaces.runEnded(threadId, runId);
  writeFiles(workspace, { 'later.txt': 'after the run\n' });
  const runDiff = String(await workspaces.diff(threadId, runId));
  expect(runDiff).toContain('+two');
  expect(runDiff).not.toContain('later.txt');
  expect(String(await workspaces.diff(threadId))).toContain('later.txt');
  expect(String(await workspaces.patch(threadId, runId))).toContain('Subject: [PATCH]');
});
