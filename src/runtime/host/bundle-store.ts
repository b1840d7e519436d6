import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AtolyeError, errorMessage } from '../../errors.js';
import { contentVersion, type Manifest, type ManifestFunction } from '../bundle/manifest.js';

/**
 * The host's own copies of deployed bundles, one folder per function version
 * (`<root>/<name>/<version>/index.mjs`), so a rebuild of dist/ never changes running code and a
 * restart or rollback finds every version it may need.
 */
export class BundleStore {
  constructor(readonly root: string) {}

  path(fn: Pick<ManifestFunction, 'name' | 'version'>): string {
    return path.join(this.root, fn.name, fn.version, 'index.mjs');
  }

  async has(fn: Pick<ManifestFunction, 'name' | 'version'>): Promise<boolean> {
    return exists(this.path(fn));
  }

  /** Copies each bundle of `manifest` from `distDir`, after checking its bytes are its version. */
  async stage(manifest: Manifest, distDir: string): Promise<void> {
    for (const fn of manifest.functions) {
      const target = this.path(fn);
      if (await exists(target)) continue;
      const source = path.resolve(distDir, fn.entry);
      let bytes: Buffer;
      try {
        bytes = await readFile(source);
      } catch (error) {
        throw new AtolyeError(
          'DEPLOY_BUNDLE_MISSING',
          `bundle of ${fn.name} not readable at ${source}: ${errorMessage(error)}`,
        );
      }
      if (contentVersion(bytes) !== fn.version) {
        throw new AtolyeError(
          'DEPLOY_BUNDLE_MISMATCH',
          `bundle of ${fn.name} at ${source} is not version ${fn.version}: rebuild, then deploy the new manifest`,
        );
      }
      await mkdir(path.dirname(target), { recursive: true });
      const partial = `${target}.partial`;
      await copyFile(source, partial);
      await copyFile(`${source}.map`, `${target}.map`).catch(() => undefined);
      await rename(partial, target);
    }
  }

  /** Deletes every staged version not listed in `keep`; returns what it removed as name@version. */
  async prune(keep: readonly Pick<ManifestFunction, 'name' | 'version'>[]): Promise<string[]> {
    const wanted = new Set(keep.map((fn) => `${fn.name}/${fn.version}`));
    const removed: string[] = [];
    for (const name of await list(this.root)) {
      for (const version of await list(path.join(this.root, name))) {
        if (wanted.has(`${name}/${version}`)) continue;
        await rm(path.join(this.root, name, version), { recursive: true, force: true });
        removed.push(`${name}@${version}`);
      }
    }
    return removed;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
