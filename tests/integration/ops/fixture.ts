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
import { main } from '../../../src/cli/main.js';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import { ApiKeyStore, apiKeysFile } from '../../../src/store/api-keys.js';
import { captureOutput } from '../../helpers/output.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

/** One installation in a temporary folder, configured through the environment like a real one. */
export interface Installation {
  root: string;
  dataDir: string;
  workspaceRoot: string;
  logDir: string;
  /** Points the configuration at another data directory (and its workspaces), e.g. to restore. */
  useDataDir(dataDir: string): void;
  cleanup(): void;
}

const VARIABLES = ['ATOLYE_DATA_DIR', 'ATOLYE_WORKSPACE_ROOT', 'ATOLYE_LOG_DIR'] as const;

export function installation(prefix: string): Installation {
  const work = tempDir(prefix);
  const saved = VARIABLES.map((name) => [name, process.env[name]] as const);
  const result: Installation = {
    root: work.dir,
    dataDir: '',
    workspaceRoot: '',
    logDir: path.join(work.dir, 'logs'),
    useDataDir(dataDir) {
      result.dataDir = dataDir;
      result.workspaceRoot = path.join(dataDir, 'workspaces');
      process.env.ATOLYE_DATA_DIR = dataDir;
      process.env.ATOLYE_WORKSPACE_ROOT = result.workspaceRoot;
    },
    cleanup() {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      work.cleanup();
    },
  };
  process.env.ATOLYE_LOG_DIR = result.logDir;
  result.useDataDir(path.join(work.dir, 'data'));
  return result;
}

export const DAY = 86_400_000;

/** Sets a thread's last update `days` ago, as if it had been idle since. */
export function age(store: RunsStore, threadId: string, days: number): void {
  const at = new Date(Date.now() - days * DAY).toISOString();
  store.db.prepare(`UPDATE threads SET updated_at = ? WHERE thread_id = ?`).run(at, threadId);
}

/**
 * Fills the installation through the real stores: threads with runs and events, checkpoints
 * and writes per thread, an API key, workspaces (with a symlink), bundles and logs.
 */
export async function populate(site: Installation, threads: string[]): Promise<RunsStore> {
  const keys = new ApiKeyStore(apiKeysFile(site.dataDir));
  keys.create('ops');
  keys.close();
  const store = new RunsStore(path.join(site.dataDir, 'orchestrator.sqlite'));
  const saver = SqliteSaver.fromConnString(path.join(site.dataDir, 'checkpoints.sqlite'));
  for (const [index, threadId] of threads.entries()) {
    const run = store.createRun(`run-${threadId}`, threadId, `task ${index}`);
    store.db
      .prepare(`INSERT INTO run_events (run_id, seq, event, data) VALUES (?, ?, 'values', ?)`)
      .run(run.runId, 1, JSON.stringify({ step: index }));
    store.finish(run.runId, { status: 'success', summary: `done ${index}` });
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

export async function atolye(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = captureOutput();
  const code = await main(args, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}
