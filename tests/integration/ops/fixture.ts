import { createHash } from 'node:crypto';
import {
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import path from 'node:path';
import { emptyCheckpoint, type Checkpoint } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import Database from 'better-sqlite3';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import { sql } from '../../../src/store/database.js';
import { ApiKeyStore, apiKeysFile } from '../../../src/store/api-keys.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

/** One installation in a temporary folder, configured through its environment like a real one. */
export interface Installation {
  root: string;
  dataDir: string;
  workspaceRoot: string;
  logDir: string;
  /** The variables that point the configuration at this installation's folders. */
  env(): Record<string, string>;
  /** Runs `atolye ARGS` in this process with the installation's environment. */
  atolye(...args: string[]): Promise<CliResult>;
  /** Points the configuration at another data directory (and its workspaces), e.g. to restore. */
  useDataDir(dataDir: string): void;
  cleanup(): void;
}

export function installation(prefix: string): Installation {
  const work = tempDir(prefix);
  const result: Installation = {
    root: work.dir,
    dataDir: '',
    workspaceRoot: '',
    logDir: path.join(work.dir, 'logs'),
    env: () => ({
      ATOLYE_DATA_DIR: result.dataDir,
      ATOLYE_WORKSPACE_ROOT: result.workspaceRoot,
      ATOLYE_LOG_DIR: result.logDir,
    }),
    atolye: (...args) => runCli(args, { env: result.env() }),
    useDataDir(dataDir) {
      result.dataDir = dataDir;
      result.workspaceRoot = path.join(dataDir, 'workspaces');
    },
    cleanup: () => work.cleanup(),
  };
  result.useDataDir(path.join(work.dir, 'data'));
  return result;
}

export const DAY = 86_400_000;

/** Sets a thread's last update `days` ago, as if it had been idle since. */
export async function age(store: RunsStore, threadId: string, days: number): Promise<void> {
  const at = new Date(Date.now() - days * DAY).toISOString();
  await store.database.run(
    sql`UPDATE threads SET updated_at = ${at} WHERE thread_id = ${threadId}`,
  );
}

/**
 * Fills the installation through the real stores: threads with runs and events, checkpoints
 * and writes per thread, an API key, workspaces (with a symlink), bundles and logs.
 */
export async function populate(site: Installation, threads: string[]): Promise<RunsStore> {
  const keys = ApiKeyStore.inFile(apiKeysFile(site.dataDir));
  await keys.create('ops');
  await keys.close();
  const store = RunsStore.inFile(path.join(site.dataDir, 'orchestrator.sqlite'));
  const saver = SqliteSaver.fromConnString(path.join(site.dataDir, 'checkpoints.sqlite'));
  for (const [index, threadId] of threads.entries()) {
    const run = await store.createRun(`run-${threadId}`, threadId, `task ${index}`);
    await store.database.run(
      sql`INSERT INTO run_events (run_id, seq, event, data)
          VALUES (${run.runId}, 1, 'values', ${JSON.stringify({ step: index })})`,
    );
    await store.finish(run.runId, { status: 'success', summary: `done ${index}` });
    const checkpoint: Checkpoint = {
      ...emptyCheckpoint(),
      channel_values: { task: `task ${index}` },
      channel_versions: { task: 1 },
    };
    const config = { configurable: { thread_id: threadId, checkpoint_ns: '' } };
    const saved = await saver.put(config, checkpoint, { source: 'loop', step: 1, parents: {} });
    await saver.putWrites(saved, [['task', `next ${index}`]], 'task-1');
    writeFiles(path.join(site.workspaceRoot, threadId), {
      'src/main.ts': `export const thread = '${threadId}';\n`,
      'notes/deep/readme.md': '# notes\n'.repeat(50),
    });
    symlinkSync('src/main.ts', path.join(site.workspaceRoot, threadId, 'entry.ts'));
  }
  saver.db.close();
  writeFiles(site.dataDir, { 'bundles/plan/v1/index.js': 'export default 1;\n' });
  writeFiles(site.logDir, {
    'system-2026-11-25.log': '{"msg":"recent"}\n',
    'system-2026-01-01.log': '{"msg":"old"}\n',
    'system-2026-01-02.log.gz': 'not really gzip',
  });
  const old = new Date(Date.now() - 60 * DAY);
  utimesSync(path.join(site.logDir, 'system-2026-01-01.log'), old, old);
  symlinkSync('system-2026-11-25.log', path.join(site.logDir, 'system.log'));
  return store;
}

/** Every row of every table, as sorted JSON lines: the logical content of a SQLite file. */
export function tableRows(file: string): Record<string, string[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .pluck()
      .all() as string[];
    const content: Record<string, string[]> = {};
    for (const table of tables) {
      const rows = db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[];
      content[table] = rows
        .map((row) =>
          JSON.stringify(row, (_, v: unknown) =>
            isBytes(v) ? Buffer.from(v.data).toString('hex') : v,
          ),
        )
        .sort();
    }
    return content;
  } finally {
    db.close();
  }
}

function isBytes(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return (
    typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer'
  );
}

/** Every file, folder and symlink under `root` with its content hash: equal trees, equal maps. */
export function treeDigest(root: string, prefix = ''): Record<string, string> {
  const digest: Record<string, string> = {};
  for (const name of readdirSync(root).sort()) {
    const full = path.join(root, name);
    const relative = `${prefix}${name}`;
    const stats = lstatSync(full);
    if (stats.isSymbolicLink()) digest[relative] = `-> ${readlinkSync(full)}`;
    else if (stats.isDirectory())
      Object.assign(digest, { [relative]: 'dir' }, treeDigest(full, `${relative}/`));
    else digest[relative] = createHash('sha256').update(readFileSync(full)).digest('hex');
  }
  return digest;
}
