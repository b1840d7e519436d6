import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { AtolyeError, errorMessage } from '../errors.js';
import { listDir, type OpsLayout } from './layout.js';
import {
  describeTree,
  Manifest,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type ManifestEntry,
} from './manifest.js';

export interface RestoreOptions {
  file: string;
  layout: OpsLayout;
  /** Restore into a data directory or workspace root that holds something already. */
  force?: boolean;
}

export interface RestoreResult {
  manifest: Manifest;
  stores: string[];
  workspaces: string[];
  bundles: boolean;
  /** Where the configuration copy went, for reference (it is never applied). */
  configCopy: string | undefined;
  files: number;
}

/** The masked configuration of the backup lands here, beside the stores, to read, not to load. */
export const RESTORED_CONFIG_DIR = 'restored-config';

/**
 * Restores a backup: the whole archive is unpacked in a temporary folder and every file checked
 * against the manifest before anything is written to the data directory. Logs and configuration
 * are not put back: logs belong to the old installation, and configuration holds no secrets.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { layout } = options;
  const file = path.resolve(options.file);
  if (!existsSync(file)) {
    throw new AtolyeError(
      'BACKUP_NOT_FOUND',
      `no backup at ${file}: give the path of an atolye-*.tar.gz`,
    );
  }
  const staging = mkdtempSync(path.join(os.tmpdir(), 'atolye-restore-'));
  try {
    await unpack(file, staging);
    const manifest = readManifest(staging, file);
    await verify(staging, manifest, file);
    refuseNonEmpty(layout, options.force === true);
    return install(staging, manifest, layout);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function unpack(file: string, staging: string): Promise<void> {
  const unexpected: string[] = [];
  try {
    await tar.extract({
      file,
      cwd: staging,
      strict: true,
      filter: (entryPath, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        const allowed = type === 'File' || type === 'Directory' || type === 'SymbolicLink';
        if (!allowed) unexpected.push(`${entryPath} (${type})`);
        return allowed;
      },
    });
  } catch (error) {
    throw corrupt(file, `it is not a readable tar.gz (${errorMessage(error)})`);
  }
  if (unexpected.length > 0)
    throw corrupt(file, `it holds entries a backup never has: ${unexpected.join(', ')}`);
}

function readManifest(staging: string, file: string): Manifest {
  const manifestFile = path.join(staging, MANIFEST_FILE);
  if (!existsSync(manifestFile)) throw corrupt(file, `it has no ${MANIFEST_FILE}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch (error) {
    throw corrupt(file, `its ${MANIFEST_FILE} is not JSON (${errorMessage(error)})`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const format = (raw as { format?: unknown } | null)?.format;
    const what =
      format === MANIFEST_FORMAT
        ? 'does not match the manifest schema'
        : `is not an ${MANIFEST_FORMAT} manifest`;
    const issue = parsed.error.issues[0];
    throw corrupt(
      file,
      `its ${MANIFEST_FILE} ${what} (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`,
    );
  }
  return parsed.data;
}

/** Every entry present with its checksum, and nothing the manifest does not list. */
async function verify(staging: string, manifest: Manifest, file: string): Promise<void> {
  const expected = new Map(manifest.files.map((entry) => [entry.path, entry]));
  const sections = listDir(staging).filter((name) => name !== MANIFEST_FILE);
  const actual = (
    await Promise.all(sections.map((s) => describeTree(path.join(staging, s), s)))
  ).flat();
  const seen = new Set<string>();
  for (const entry of actual) {
    seen.add(entry.path);
    const want = expected.get(entry.path);
    if (!want) throw corrupt(file, `${entry.path} is not in the manifest`);
    const problem = mismatch(want, entry);
    if (problem) throw corrupt(file, `${entry.path} ${problem}`);
  }
  const missing = manifest.files.find((entry) => !seen.has(entry.path));
  if (missing) throw corrupt(file, `${missing.path} is listed in the manifest but missing`);
}

function mismatch(want: ManifestEntry, got: ManifestEntry): string | undefined {
  if (want.type !== got.type) return `is a ${got.type}, the manifest says ${want.type}`;
  if (want.type === 'file' && got.type === 'file') {
    if (want.size !== got.size) return `has ${got.size} bytes, the manifest says ${want.size}`;
    if (want.sha256 !== got.sha256)
      return `has sha256 ${got.sha256}, the manifest says ${want.sha256}`;
  }
  if (want.type === 'symlink' && got.type === 'symlink' && want.target !== got.target) {
    return `points to ${got.target}, the manifest says ${want.target}`;
  }
  return undefined;
}

function refuseNonEmpty(layout: OpsLayout, force: boolean): void {
  if (force) return;
  for (const dir of new Set([layout.dataDir, layout.workspaceRoot])) {
    const entries = listDir(dir);
    if (entries.length > 0) {
      throw new AtolyeError(
        'RESTORE_TARGET_NOT_EMPTY',
        `${dir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): restore into an empty data directory (set storage.dataDir / ATOLYE_DATA_DIR), or add --force to replace the stores, workspaces and bundles of the backup there`,
      );
    }
  }
}

function install(staging: string, manifest: Manifest, layout: OpsLayout): RestoreResult {
  mkdirSync(layout.dataDir, { recursive: true });
  const stores = listDir(path.join(staging, 'stores'));
  for (const name of stores) {
    const target = path.join(layout.dataDir, name);
    // A WAL or shared-memory file of the store being replaced would be replayed onto the copy.
    for (const stale of [`${target}-wal`, `${target}-shm`, `${target}-journal`])
      rmSync(stale, { force: true });
    const partial = `${target}.restoring`;
    cpSync(path.join(staging, 'stores', name), partial);
    renameSync(partial, target);
  }
  const workspaces = listDir(path.join(staging, 'workspaces'));
  for (const name of workspaces)
    replaceTree(path.join(staging, 'workspaces', name), path.join(layout.workspaceRoot, name));
  const bundles = existsSync(path.join(staging, 'bundles'));
  if (bundles) replaceTree(path.join(staging, 'bundles'), layout.bundleDir);
  let configCopy: string | undefined;
  if (existsSync(path.join(staging, 'config'))) {
    configCopy = path.join(layout.dataDir, RESTORED_CONFIG_DIR);
    replaceTree(path.join(staging, 'config'), configCopy);
  }
  return {
    manifest,
    stores,
    workspaces,
    bundles,
    configCopy,
    files: manifest.files.filter(
      (entry) => entry.type === 'file' && !entry.path.startsWith('logs/'),
    ).length,
  };
}

function replaceTree(source: string, target: string): void {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
}

function corrupt(file: string, detail: string): AtolyeError {
  return new AtolyeError(
    'BACKUP_CORRUPT',
    `refusing to restore ${file}: ${detail}; nothing was written`,
  );
}
