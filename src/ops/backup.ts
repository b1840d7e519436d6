import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import type { AtolyeConfig } from '../config/index.js';
import { AtolyeError, errorMessage } from '../errors.js';
import { NoHardLinks } from '../workspace/tar-links.js';
import { writeMaskedConfig } from './config-copy.js';
import { listDir, storeFiles, type OpsLayout } from './layout.js';
import {
  describeTree,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  SECTIONS,
  type Manifest,
} from './manifest.js';

export interface BackupOptions {
  config: AtolyeConfig;
  layout: OpsLayout;
  /** The archive to write; `<dataDir>/../backups/atolye-<UTC stamp>.tar.gz` by default. */
  out?: string;
  /** Log files modified within this many days are taken (default 7). */
  logDays?: number;
  /** The version recorded in the manifest. */
  toolVersion: string;
  now?: () => Date;
}

export interface BackupResult {
  file: string;
  /** Files (not folders or symlinks) in the archive, manifest.json included. */
  files: number;
  /** Size of the archive. */
  bytes: number;
  /** Sum of the sizes of the files before compression. */
  contentBytes: number;
  stores: string[];
  manifest: Manifest;
}

export const DEFAULT_LOG_DAYS = 7;
/** One backup step copies every page: the copy is one read transaction, one consistent state. */
const ALL_PAGES = 0x7fffffff;

export function defaultBackupFile(dataDir: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return path.join(path.dirname(dataDir), 'backups', `atolye-${stamp}.tar.gz`);
}

/**
 * Writes one tar.gz of the stores (copied online through SQLite's backup API, so writers carry
 * on), the workspaces, the bundles, the configuration without secrets and the recent logs, with a
 * manifest of every file's sha256. Everything is staged in a temporary folder first.
 */
export async function createBackup(options: BackupOptions): Promise<BackupResult> {
  const { layout } = options;
  const now = (options.now ?? (() => new Date()))();
  const out = path.resolve(options.out ?? defaultBackupFile(layout.dataDir, now));
  const logDays = options.logDays ?? DEFAULT_LOG_DAYS;
  const staging = mkdtempSync(path.join(os.tmpdir(), 'atolye-backup-'));
  try {
    const stores = await copyStores(layout.dataDir, path.join(staging, 'stores'));
    copyTree(layout.workspaceRoot, path.join(staging, 'workspaces'));
    copyTree(layout.bundleDir, path.join(staging, 'bundles'));
    writeMaskedConfig(options.config, layout.configDir, path.join(staging, 'config'));
    copyRecentLogs(layout.logDir, path.join(staging, 'logs'), now, logDays);

    const sections = SECTIONS.filter((section) => existsSync(path.join(staging, section)));
    const files = (
      await Promise.all(sections.map((s) => describeTree(path.join(staging, s), s)))
    ).flat();
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      formatVersion: 1,
      tool: { name: 'atolye-sefi', version: options.toolVersion },
      createdAt: now.toISOString(),
      source: { ...layout },
      logPolicy: `regular files directly in the log directory modified in the last ${logDays} days, except .gz archives and symlinks`,
      files,
    };
    writeFileSync(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);

    await writeArchive(staging, [MANIFEST_FILE, ...sections], out);

    const regular = files.filter((entry) => entry.type === 'file');
    return {
      file: out,
      files: regular.length + 1,
      bytes: statSync(out).size,
      contentBytes: regular.reduce((sum, entry) => sum + entry.size, 0),
      stores,
      manifest,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Written under a temporary name, so a half-written archive never looks like a backup. */
async function writeArchive(staging: string, entries: string[], out: string): Promise<void> {
  const partial = `${out}.partial`;
  try {
    mkdirSync(path.dirname(out), { recursive: true });
    await tar.create(
      { gzip: true, file: partial, cwd: staging, portable: true, linkCache: new NoHardLinks() },
      entries,
    );
    renameSync(partial, out);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new AtolyeError(
      'BACKUP_WRITE_FAILED',
      `cannot write the backup to ${out}: ${errorMessage(error)}; choose another place with --out`,
      { cause: error },
    );
  }
}

async function copyStores(dataDir: string, target: string): Promise<string[]> {
  const names = storeFiles(dataDir);
  mkdirSync(target, { recursive: true });
  for (const name of names) {
    const copy = path.join(target, name);
    let db: Database.Database | undefined;
    try {
      // Not read-only: a read-only connection cannot remove the -wal and -shm files it creates.
      db = new Database(path.join(dataDir, name), { fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      await db.backup(copy, { progress: () => ALL_PAGES });
    } catch (error) {
      throw new AtolyeError(
        'BACKUP_STORE_FAILED',
        `cannot copy the store ${path.join(dataDir, name)}: ${errorMessage(error)}`,
        { retryable: true, cause: error },
      );
    } finally {
      db?.close();
    }
    checkCopy(copy);
  }
  return names;
}

function checkCopy(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    // The copy carries the source's WAL flag; a single file is simpler to archive and restore.
    db.pragma('journal_mode = DELETE');
    const result = db.pragma('integrity_check', { simple: true });
    if (result !== 'ok') {
      throw new AtolyeError(
        'BACKUP_STORE_FAILED',
        `the copy of ${path.basename(file)} fails integrity_check: ${String(result)}`,
        { retryable: true },
      );
    }
  } finally {
    db.close();
  }
}

function copyTree(source: string, target: string): void {
  if (!existsSync(source)) return;
  cpSync(source, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
}

function copyRecentLogs(logDir: string, target: string, now: Date, days: number): void {
  const since = now.getTime() - days * 86_400_000;
  for (const name of listDir(logDir)) {
    const file = path.join(logDir, name);
    const stats = lstatSync(file);
    if (!stats.isFile() || name.endsWith('.gz') || stats.mtimeMs < since) continue;
    mkdirSync(target, { recursive: true });
    cpSync(file, path.join(target, name), { preserveTimestamps: true });
  }
}
