import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AtolyeError } from '../../../src/errors.js';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import { copyThread } from '../../../src/orchestrator/thread-copy.js';
import { removeThread, threadFolders } from '../../../src/orchestrator/thread-removal.js';
import { tempDir } from '../../helpers/tmp.js';

// removeThread and copyThread on a real SQLite store and real folders; the executor's checkpoint
// side is a stand-in that records what it is asked, or fails on purpose.

let root: ReturnType<typeof tempDir>;
let store: RunsStore;
let workspaceRoot: string;
let calls: string[];

const executor = {
  deleteThread: async (threadId: string) => {
    calls.push(`delete ${threadId}`);
  },
  copyThread: async (from: string, to: string) => {
    calls.push(`copy ${from} ${to}`);
  },
};

beforeEach(() => {
  root = tempDir('atolye-thread-removal-');
  store = RunsStore.inFile(path.join(root.dir, 'orchestrator.sqlite'));
  workspaceRoot = path.join(root.dir, 'workspaces');
  calls = [];
});

afterEach(async () => {
  await store.close();
  root.cleanup();
});

async function threadWithFiles(threadId: string): Promise<{ workTree: string; gitDir: string }> {
  await store.createThread(threadId, { kind: 'test' }, 'key:me');
  const folders = threadFolders(workspaceRoot, threadId);
  mkdirSync(folders.workTree, { recursive: true });
  mkdirSync(folders.gitDir, { recursive: true });
  writeFileSync(path.join(folders.workTree, 'a.txt'), 'a\n');
  writeFileSync(path.join(folders.gitDir, 'HEAD'), 'ref: refs/heads/main\n');
  return folders;
}

async function failure(promise: Promise<unknown>): Promise<AtolyeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AtolyeError) return error;
    throw error;
  }
  throw new Error('expected an AtolyeError');
}

test('removes the rows, asks for the checkpoints to go and deletes both folders', async () => {
  const folders = await threadWithFiles('t1');
  const run = await store.createRun('r1', 't1', 'task');
  await store.finish(run.runId, { status: 'success' });
  await removeThread({ store, executor, workspaceRoot }, 't1');
  expect(await store.thread('t1', { all: true })).toBeUndefined();
  expect(await store.get('r1')).toBeUndefined();
  expect(calls).toEqual(['delete t1']);
  expect(existsSync(folders.workTree)).toBe(false);
  expect(existsSync(folders.gitDir)).toBe(false);
});

test('a busy thread is THREAD_BUSY and an unknown one THREAD_NOT_FOUND; both are left alone', async () => {
  const folders = await threadWithFiles('busy');
  await store.createRun('r-busy', 'busy', 'task');
  expect((await failure(removeThread({ store, executor, workspaceRoot }, 'busy'))).code).toBe(
    'THREAD_BUSY',
  );
  expect(await store.thread('busy', { all: true })).toBeDefined();
  expect(existsSync(folders.workTree)).toBe(true);
  expect((await failure(removeThread({ store, executor, workspaceRoot }, 'nope'))).code).toBe(
    'THREAD_NOT_FOUND',
  );
  expect(calls).toEqual([]);
});

test('a checkpoint store that fails makes THREAD_REMOVAL_INCOMPLETE, after the rest is gone', async () => {
  const folders = await threadWithFiles('t2');
  const broken = {
    deleteThread: () => Promise.reject(new Error('connection refused')),
  };
  const error = await failure(removeThread({ store, executor: broken, workspaceRoot }, 't2'));
  expect(error.code).toBe('THREAD_REMOVAL_INCOMPLETE');
  expect(error.message).toContain('its checkpoints (connection refused)');
  expect(await store.thread('t2', { all: true })).toBeUndefined();
  expect(existsSync(folders.workTree)).toBe(false);
});

test('ids that would leave the workspace root are refused', () => {
  for (const id of ['..', '.atolye-git', '', 'a/../../b']) {
    expect(() => threadFolders(workspaceRoot, id)).toThrow(/is not a thread id/);
  }
});

test('copyThread copies the rows and folders, and a failed copy leaves nothing behind', async () => {
  const folders = await threadWithFiles('src');
  const source = await store.thread('src', { all: true });
  if (!source) throw new Error('no source thread');
  const copy = await copyThread({ store, executor, workspaceRoot }, source, 'team:other');
  expect(copy).toMatchObject({ metadata: { kind: 'test' }, owner: 'team:other' });
  expect(calls).toEqual([`copy src ${copy.threadId}`]);
  const copied = threadFolders(workspaceRoot, copy.threadId);
  expect(readFileSync(path.join(copied.workTree, 'a.txt'), 'utf8')).toBe('a\n');
  expect(readFileSync(path.join(copied.gitDir, 'HEAD'), 'utf8')).toContain('refs/heads/main');
  expect(existsSync(folders.workTree)).toBe(true);

  const before = (await store.threads({ all: true })).length;
  const broken = {
    ...executor,
    copyThread: () => Promise.reject(new AtolyeError('STORE_UNAVAILABLE', 'down')),
  };
  const error = await failure(copyThread({ store, executor: broken, workspaceRoot }, source, null));
  expect(error.code).toBe('STORE_UNAVAILABLE');
  expect(await store.threads({ all: true })).toHaveLength(before);
});
