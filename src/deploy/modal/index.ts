import path from 'node:path';
import type { Manifest } from '../../runtime/bundle/index.js';
import { entrypointScript } from '../docker/entrypoint.js';
import { renderModalApp } from './app.js';

export interface ModalTargetOptions {
  root: string;
  outDir: string;
}

/** The modal target: file name (relative to outDir) → content; deploy with `modal deploy`. */
export function renderModal(
  manifest: Manifest,
  options: ModalTargetOptions,
): Record<string, string> {
  const toRoot = path.relative(options.outDir, options.root).split(path.sep).join('/') || '.';
  return {
    'modal_app.py': renderModalApp(manifest, { toRoot }),
    // The same role switch as the docker image: `function <name>` runs the host with one function.
    'atolye-entrypoint.mjs': entrypointScript(),
  };
}
