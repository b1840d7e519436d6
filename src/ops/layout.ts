import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { resolveFromRoot, type AtolyeConfig } from '../config/index.js';
import { isThreadId } from '../workspace/thread-id.js';

/** Where the operational data of one installation lives, every path absolute. */
export interface OpsLayout {
  /** `storage.dataDir`: the SQLite stores and `bundles/`. */
  dataDir: string;
  /** `workspace.root`: one folder per thread. */
  workspaceRoot: string;
  /** The host's staged function bundles. */
  bundleDir: string;
  /** `logging.dir`. */
  logDir: string;
  /** The folder of base.json and <env>.json. */
  configDir: string;
}

export function opsLayout(config: AtolyeConfig, environ = process.env): OpsLayout {
  const dataDir = resolveFromRoot(config.storage.dataDir);
  return {
    dataDir,
    workspaceRoot: resolveFromRoot(config.workspace.root),
    bundleDir: path.join(dataDir, 'bundles'),
    logDir: resolveFromRoot(config.logging.dir),
    configDir: resolveFromRoot(environ.ATOLYE_CONFIG_DIR ?? 'config'),
  };
}

/** The SQLite stores: every regular `*.sqlite` file directly in the data directory. */
export function storeFiles(dataDir: string): string[] {
  return listDir(dataDir)
    .filter((name) => name.endsWith('.sqlite') && lstatSync(path.join(dataDir, name)).isFile())
    .sort();
}

/** A folder's entry names; none when it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Whether a name under `workspace.root` can be a thread's folder: it is a thread id, so one plain
 * path segment (`.`, `..`, `.atolye-git` and names with a separator are not).
 */
export function isPlainSegment(name: string): boolean {
  return isThreadId(name);
}
