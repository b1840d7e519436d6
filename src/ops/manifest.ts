import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';

/** The table of contents of a backup archive, at its root as manifest.json. */

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'atolye-backup';

/** Top-level folders of an archive. */
export const SECTIONS = ['stores', 'workspaces', 'bundles', 'config', 'logs'] as const;
export type Section = (typeof SECTIONS)[number];

const EntryPath = z
  .string()
  .regex(new RegExp(`^(${SECTIONS.join('|')})(/[^/]+)*$`), 'a relative path inside a section')
  .refine((value) => !value.split('/').some((part) => part === '..' || part === '.'), {
    message: 'no "." or ".." segments',
  });

export const ManifestEntry = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('file'),
    path: EntryPath,
    size: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  z.object({ type: z.literal('symlink'), path: EntryPath, target: z.string() }),
  z.object({ type: z.literal('dir'), path: EntryPath }),
]);
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const Manifest = z.object({
  format: z.literal(MANIFEST_FORMAT),
  formatVersion: z.literal(1),
  tool: z.object({ name: z.string(), version: z.string() }),
  createdAt: z.iso.datetime(),
  source: z.object({
    dataDir: z.string(),
    workspaceRoot: z.string(),
    bundleDir: z.string(),
    logDir: z.string(),
    configDir: z.string(),
  }),
  /** Which log files were taken, in words. */
  logPolicy: z.string(),
  files: z.array(ManifestEntry),
});
export type Manifest = z.infer<typeof Manifest>;

export function sectionOf(entry: ManifestEntry): Section {
  return entry.path.split('/')[0] as Section;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every folder, file and symlink under `root`, as manifest entries with `/` paths, sorted. */
export async function describeTree(root: string, prefix = ''): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  for (const name of readdirSync(root).sort()) {
    const full = path.join(root, name);
    const relative = prefix === '' ? name : `${prefix}/${name}`;
    const stats = lstatSync(full);
    if (stats.isSymbolicLink()) {
      entries.push({ type: 'symlink', path: relative, target: readlinkSync(full) });
    } else if (stats.isDirectory()) {
      entries.push({ type: 'dir', path: relative }, ...(await describeTree(full, relative)));
    } else if (stats.isFile()) {
      entries.push({
        type: 'file',
        path: relative,
        size: stats.size,
        sha256: await sha256File(full),
      });
    }
    // Sockets, FIFOs and devices have no content to keep.
  }
  return entries;
}
