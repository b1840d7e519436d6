import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { cronsFile } from '../../src/orchestrator/crons-store.js';
import { runsFile } from '../../src/orchestrator/runs-store.js';
import { threadWorkspacePath } from '../../src/workspace/confine.js';
import { GIT_DIRS } from '../../src/workspace/git.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';
import { startTestApi, type TestApi } from '../integration/orchestrator/api-helpers.js';
import { startStepHost, type StepHost } from '../integration/orchestrator/helpers.js';

export type StorageKind = 'sqlite' | 'postgres';

/** Ids that exist when the fuzz starts, so generated requests reach past the 404s. */
export interface KnownIds {
  /** A thread of the user key, with files in its workspace and one finished run. */
  threadId: string;
  runId: string;
  /** A thread of the admin key: the user key must not see it. */
  otherThreadId: string;
  assistantId: string;
  cronId: string;
}

/**
 * Stands for one of the known ids in a generated case: the fixtures may be deleted and made again
 * under a new id, so the id is looked up when the case is sent.
 */
export function knownId(name: keyof KnownIds): string {
  return `~known-${name}~`;
}

/** `text` with each known-id marker replaced by the id of the moment. */
export function resolveKnown(text: string, known: KnownIds): string {
  return text.replace(/~known-(\w+)~/g, (marker, name: string) =>
    Object.hasOwn(known, name) ? known[name as keyof KnownIds] : marker,
  );
}

/** What a refused request must leave as it was. */
export interface Snapshot {
  counts: Record<string, number>;
  /**
   * Every entry under the workspace root with its size and modification time, but the git store
   * (`.atolye-git`): runs record snapshots there in the background, after their status is final.
   */
  tree: string[];
}

/** A real run API on loopback, a worker host with the scripted steps and `checkout` behind it. */
export interface ApiTarget {
  storage: StorageKind;
  url: string;
  key: string;
  adminKey: string;
  bodyLimitBytes: number;
  known: KnownIds;
  /**
   * Makes the known fixtures again after a request deleted one: the thread with its files, a run
   * of it, the assistant, the cron (a new run or cron gets a new id, which `known` then holds).
   */
  restore(): Promise<void>;
  /** True once no run is pending or running (within `waitMs`). */
  idle(waitMs: number): Promise<boolean>;
  snapshot(): Promise<Snapshot>;
  stop(): Promise<void>;
}

/** The scripted steps and the real checkout function (imports and pushes reach it). */
const FUNCTIONS_DIR = fileURLToPath(new URL('./fixtures/api-functions', import.meta.url));

const TABLES = ['threads', 'runs', 'assistants', 'crons'] as const;

/** Limits set high so generated requests reach the routes instead of a 429; no network for git. */
const OVERRIDES = {
  'api.rateLimitPerMinute': '100000000',
  'api.authFailuresPerMinute': '100000000',
  'git.allowedSchemes': 'https',
  'git.allowHosts': '',
  'logging.level': 'warn',
};

export async function startApiTarget(storage: StorageKind): Promise<ApiTarget> {
  const root = tempDir('atolye-fuzz-api-');
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  let postgres: TestPostgres | undefined;
  let stepHost: StepHost | undefined;
  let api: TestApi | undefined;
  let counter: Counter | undefined;
  const stopAll = async (): Promise<void> => {
    await counter?.close();
    await api?.stop();
    await stepHost?.stop();
    await postgres?.stop();
    root.cleanup();
  };
  try {
    const overrides: Record<string, string> = { ...OVERRIDES };
    if (storage === 'postgres') {
      postgres = await startPostgres();
      overrides['storage.url'] = await postgres.createDatabase('fuzz');
    }
    stepHost = await startFuzzStepHost(root.dir, fixtureDir);
    api = await startTestApi(root.dir, stepHost, overrides);
    counter =
      storage === 'postgres'
        ? postgresCounter(overrides['storage.url'] as string)
        : sqliteCounter(api.config.storage.dataDir);
    const started = api;
    const count = counter;
    const known = await createKnown(started);
    return {
      storage,
      url: started.url,
      key: started.key,
      adminKey: started.adminKey,
      bodyLimitBytes: started.config.api.bodyLimitBytes,
      known,
      restore: () => restoreKnown(started, known),
      idle: async (waitMs) => {
        const until = Date.now() + waitMs;
        while ((await count.active()) > 0) {
          if (Date.now() > until) return false;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return true;
      },
      snapshot: async () => ({
        counts: await count.counts(),
        tree: listTree(started.workspaceRoot),
      }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A host with the steps and checkout, sharing the API's workspace root and git rules. */
function startFuzzStepHost(root: string, fixtureDir: string): Promise<StepHost> {
  return startStepHost(root, fixtureDir, {
    functionsDir: FUNCTIONS_DIR,
    overrides: {
      'workspace.root': path.join(root, 'workspaces'),
      'git.allowedSchemes': OVERRIDES['git.allowedSchemes'],
      'git.allowHosts': OVERRIDES['git.allowHosts'],
      'logging.level': 'warn',
    },
  });
}

async function call(api: TestApi, method: string, route: string, body?: unknown, key = api.key) {
  const response = await fetch(`${api.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`fuzz setup: ${method} ${route} answered ${response.status}: ${text}`);
  return (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
}

async function ensureThread(api: TestApi, threadId: string): Promise<void> {
  await call(api, 'POST', '/threads', { thread_id: threadId, if_exists: 'do_nothing' });
  const dir = threadWorkspacePath(api.workspaceRoot, threadId);
  mkdirSync(path.join(dir, 'dir'), { recursive: true });
  writeFileSync(path.join(dir, 'notes.txt'), 'notes\n');
  writeFileSync(path.join(dir, 'dir', 'a.txt'), 'a\n');
}

async function startRun(api: TestApi, threadId: string): Promise<string> {
  const run = await call(api, 'POST', `/threads/${threadId}/runs`, {
    assistant_id: 'atolye',
    input: { task: 'fuzz setup' },
    multitask_strategy: 'enqueue',
  });
  const runId = String(run.run_id);
  await call(api, 'GET', `/threads/${threadId}/runs/${runId}/join`);
  return runId;
}

async function startCron(api: TestApi, threadId: string): Promise<string> {
  const cron = await call(api, 'POST', `/threads/${threadId}/runs/crons`, {
    assistant_id: 'atolye',
    input: { task: 'fuzz cron' },
    // 1 January at midnight: never during a fuzz run.
    schedule: '0 0 1 1 *',
  });
  return String(cron.cron_id);
}

async function createKnown(api: TestApi): Promise<KnownIds> {
  const threadId = 'fuzz-thread';
  await ensureThread(api, threadId);
  const other = await call(api, 'POST', '/threads', {}, api.adminKey);
  const assistant = await call(api, 'POST', '/assistants', { graph_id: 'atolye', name: 'fuzz' });
  return {
    threadId,
    runId: await startRun(api, threadId),
    otherThreadId: String(other.thread_id),
    assistantId: String(assistant.assistant_id),
    cronId: await startCron(api, threadId),
  };
}

async function restoreKnown(api: TestApi, known: KnownIds): Promise<void> {
  await ensureThread(api, known.threadId);
  const run = await fetch(`${api.url}/threads/${known.threadId}/runs/${known.runId}`, {
    headers: { authorization: `Bearer ${api.key}` },
  });
  await run.arrayBuffer();
  if (run.status === 404) known.runId = await anyRun(api, known.threadId);
  await call(api, 'POST', '/assistants', {
    assistant_id: known.assistantId,
    graph_id: 'atolye',
    if_exists: 'do_nothing',
  });
  const crons = (await call(api, 'POST', '/runs/crons/search', { limit: 1000 })) as unknown;
  const cronIds = (crons as { cron_id: string }[]).map((cron) => cron.cron_id);
  if (!cronIds.includes(known.cronId)) known.cronId = await startCron(api, known.threadId);
}

/**
 * A run of the thread: its latest, or a new one. A thread left paused without a run (a state
 * update can do that) takes no new task: it is made again, empty.
 */
async function anyRun(api: TestApi, threadId: string): Promise<string> {
  const runs = (await call(api, 'GET', `/threads/${threadId}/runs?limit=1`)) as unknown;
  const latest = (runs as { run_id: string }[])[0];
  if (latest) return latest.run_id;
  try {
    return await startRun(api, threadId);
  } catch {
    await call(api, 'DELETE', `/threads/${threadId}`);
    await ensureThread(api, threadId);
    return startRun(api, threadId);
  }
}

function listTree(root: string): string[] {
  const entries: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (prefix === '' && name === GIT_DIRS) continue;
      const full = path.join(dir, name);
      const relative = `${prefix}${name}`;
      const stats = lstatSync(full, { throwIfNoEntry: false });
      if (!stats) continue;
      if (stats.isDirectory()) {
        entries.push(`${relative}/`);
        walk(full, `${relative}/`);
      } else {
        entries.push(`${relative} ${stats.size} ${stats.mtimeMs}`);
      }
    }
  };
  walk(root, '');
  return entries;
}

interface Counter {
  counts(): Promise<Record<string, number>>;
  active(): Promise<number>;
  close(): Promise<void>;
}

const ACTIVE = "SELECT count(*) AS n FROM runs WHERE status IN ('pending', 'running')";

function sqliteCounter(dataDir: string): Counter {
  const runs = new Sqlite(runsFile(dataDir), { readonly: true, fileMustExist: true });
  const crons = new Sqlite(cronsFile(dataDir), { readonly: true, fileMustExist: true });
  const countOf = (table: string): number => {
    const db = table === 'crons' ? crons : runs;
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  };
  return {
    counts: async () => Object.fromEntries(TABLES.map((table) => [table, countOf(table)])),
    active: async () => (runs.prepare(ACTIVE).get() as { n: number }).n,
    close: async () => {
      runs.close();
      crons.close();
    },
  };
}

function postgresCounter(url: string): Counter {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const one = async (text: string): Promise<number> =>
    Number(((await pool.query<{ n: string }>(text)).rows[0] as { n: string }).n);
  return {
    counts: async () => {
      const counts: Record<string, number> = {};
      for (const table of TABLES) counts[table] = await one(`SELECT count(*) AS n FROM ${table}`);
      return counts;
    },
    active: () => one(ACTIVE),
    close: () => pool.end(),
  };
}
