import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { AtolyeError, errorMessage } from '../../errors.js';
import { FUNCTION_NAME, Limits } from '../contract.js';

/** Content versions are the first 12 hex digits of a sha256: short to read, long enough not to collide. */
const VERSION = /^[0-9a-f]{12}$/;

/** A path inside the build output, so a manifest cannot point a host outside its dist folder. */
const RelativeEntry = z
  .string()
  .regex(/\.mjs$/, 'entry must be an .mjs bundle')
  .refine(
    (entry) =>
      !path.posix.isAbsolute(entry) && !entry.split('/').includes('..') && !entry.includes('\\'),
    {
      message: 'entry must be a forward-slash path inside the build folder',
    },
  );

/** One bundled function: its declaration as the host and every deploy target need it. */
export const ManifestFunction = z
  .object({
    name: z.string().regex(FUNCTION_NAME),
    description: z.string(),
    limits: Limits,
    secrets: z.array(z.string()),
    /**
     * Configuration paths the host resolves and hands each worker. Optional: manifests written
     * before functions declared settings (a host's deployment history) still load.
     */
    settings: z.array(z.string()).optional(),
    /** Content hash of the bundle: the same source builds the same version. */
    version: z.string().regex(VERSION),
    bytes: z.number().int().nonnegative(),
    /** The bundle, relative to the folder holding manifest.json. */
    entry: RelativeEntry,
    /** Native packages left out of the bundle; the deploy target installs them beside it. */
    external: z.array(z.string()),
  })
  .strict();
export type ManifestFunction = z.infer<typeof ManifestFunction>;

/** `dist/manifest.json`: what a build produced and what a deploy ships. */
export const Manifest = z
  .object({
    /** Hash over every function's version: changes exactly when some bundle changes. */
    version: z.string().regex(VERSION),
    builtAt: z.iso.datetime(),
    functions: z.array(ManifestFunction),
  })
  .strict()
  .refine(
    (manifest) =>
      new Set(manifest.functions.map((fn) => fn.name)).size === manifest.functions.length,
    {
      message: 'function names must be unique',
      path: ['functions'],
    },
  );
export type Manifest = z.infer<typeof Manifest>;

export const MANIFEST_FILE = 'manifest.json';
/** esbuild's metafile, beside each bundle: what went into it and how many bytes each input costs. */
export const META_FILE = 'meta.json';

/** The version of one bundle: a sha256 of its bytes, so it changes exactly when the code does. */
export function contentVersion(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

/** The version of a whole build, from its functions' names and versions (order-independent). */
export function manifestVersion(
  functions: readonly Pick<ManifestFunction, 'name' | 'version'>[],
): string {
  const lines = functions.map((fn) => `${fn.name}@${fn.version}\n`).sort();
  return contentVersion(lines.join(''));
}

/** Puts functions in name order and derives the build version from them. */
export function createManifest(functions: readonly ManifestFunction[], builtAt: Date): Manifest {
  const sorted = [...functions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return Manifest.parse({
    version: manifestVersion(sorted),
    builtAt: builtAt.toISOString(),
    functions: sorted,
  });
}

/**
 * Reads and validates the manifest in `outDir`; undefined when there is none. A manifest that breaks
 * the schema is an error naming each problem, never silently replaced.
 */
export async function readManifest(outDir: string): Promise<Manifest | undefined> {
  const file = path.join(outDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseManifest(text, file);
}

/** Validates manifest JSON text; `source` names where it came from in the error. */
export function parseManifest(text: string, source = 'manifest'): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AtolyeError('MANIFEST_INVALID', `${source} is not JSON: ${errorMessage(error)}`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new AtolyeError(
      'MANIFEST_INVALID',
      `${source} is not a valid manifest:\n${problems.join('\n')}`,
    );
  }
  return parsed.data;
}
