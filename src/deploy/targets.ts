import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../config/index.js';
import { AtolyeError } from '../errors.js';
import { MANIFEST_FILE, readManifest, type Manifest } from '../runtime/bundle/index.js';
import { dockerNextSteps, renderDocker } from './docker/index.js';
import { renderKubernetes } from './kubernetes/index.js';
import { renderModal } from './modal/index.js';

/** Where `npm run deploy -- --target …` can deploy; `local` runs the worker host on this machine. */
export const DEPLOY_TARGETS = ['local', 'docker', 'kubernetes', 'modal'] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];
export type ArtefactTarget = Exclude<DeployTarget, 'local'>;

export interface GenerateOptions {
  /** The build folder holding manifest.json; default `dist`. Relative paths resolve against root. */
  distDir?: string;
  /** Where the artefacts go; default `deploy/<target>` (committed, beside the hand-kept ones). */
  outDir?: string;
  /** The project root (the image's build context); default the package root. */
  root?: string;
  /** Kubernetes namespace; default `atolye`. */
  namespace?: string;
}

export interface GeneratedTarget {
  target: ArtefactTarget;
  outDir: string;
  manifestVersion: string;
  /** Written files relative to outDir, in name order. */
  files: string[];
  /**
   * What to run next, with this machine's paths (the artefacts themselves hold none); empty when
   * the written README says it all.
   */
  nextSteps: string[];
}

export function isDeployTarget(value: string): value is DeployTarget {
  return (DEPLOY_TARGETS as readonly string[]).includes(value);
}

/** Checks a --target value; the error names every target there is. */
export function parseTarget(value: string): DeployTarget {
  if (isDeployTarget(value)) return value;
  throw new AtolyeError(
    'DEPLOY_TARGET_UNKNOWN',
    `deploy target "${value}" is not available; use one of: ${DEPLOY_TARGETS.join(', ')}`,
  );
}

/** The files of one target from a manifest: pure, so the same manifest gives the same bytes. */
export function renderTarget(
  target: ArtefactTarget,
  manifest: Manifest,
  options: { root: string; outDir: string; namespace?: string },
): Record<string, string> {
  switch (target) {
    case 'docker':
      return renderDocker(manifest);
    case 'kubernetes':
      return renderKubernetes(manifest, { namespace: options.namespace });
    case 'modal':
      return renderModal(manifest, options);
  }
}

/**
 * Reads the build's manifest and writes the target's artefacts into outDir. Only the files this
 * target generates are replaced; anything else in the folder stays.
 */
export async function generateTarget(
  target: string,
  options: GenerateOptions = {},
): Promise<GeneratedTarget> {
  const parsed = parseTarget(target);
  if (parsed === 'local') {
    throw new AtolyeError(
      'DEPLOY_TARGET_NOT_GENERATED',
      'the local target runs the worker host instead of writing files: use `npm run deploy`',
    );
  }
  const root = path.resolve(options.root ?? projectRoot());
  const resolve = (dir: string): string => (path.isAbsolute(dir) ? dir : path.join(root, dir));
  const distDir = resolve(options.distDir ?? 'dist');
  const outDir = resolve(options.outDir ?? path.join('deploy', parsed));
  const manifest = await readManifest(distDir);
  if (!manifest) {
    throw new AtolyeError(
      'DEPLOY_NO_MANIFEST',
      `no ${path.join(distDir, MANIFEST_FILE)}: run \`npm run build\` first`,
    );
  }
  if (manifest.functions.length === 0) {
    throw new AtolyeError('DEPLOY_NO_FUNCTIONS', `${MANIFEST_FILE} lists no functions to deploy`);
  }
  const files = renderTarget(parsed, manifest, { root, outDir, namespace: options.namespace });
  await mkdir(outDir, { recursive: true });
  const names = Object.keys(files).sort();
  for (const name of names) {
    const file = path.join(outDir, name);
    await rm(file, { force: true });
    await writeFile(file, files[name] ?? '', { mode: name.endsWith('.mjs') ? 0o755 : 0o644 });
  }
  const nextSteps = parsed === 'docker' ? dockerNextSteps(root, outDir, manifest.version) : [];
  return { target: parsed, outDir, manifestVersion: manifest.version, files: names, nextSteps };
}
