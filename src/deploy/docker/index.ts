import path from 'node:path';
import type { Manifest } from '../../runtime/bundle/index.js';
import { renderCompose, renderEnvExample } from './compose.js';
import { renderDockerfile, renderDockerignore } from './dockerfile.js';
import { entrypointScript } from './entrypoint.js';

export interface DockerOptions {
  /** The project root: the image's build context. */
  root: string;
  /** Where the files go; paths inside them are relative to the root, so the bytes only depend on where this is. */
  outDir: string;
}

/** The docker target: file name (relative to outDir) → content. */
export function renderDocker(manifest: Manifest, options: DockerOptions): Record<string, string> {
  const fromRoot = toPosix(path.relative(options.root, options.outDir)) || '.';
  const toRoot = toPosix(path.relative(options.outDir, options.root)) || '.';
  return {
    Dockerfile: renderDockerfile(manifest, `${fromRoot}/docker-entrypoint.mjs`),
    'Dockerfile.dockerignore': renderDockerignore(),
    'docker-compose.yml': renderCompose(manifest, {
      context: toRoot,
      dockerfile: `${fromRoot}/Dockerfile`,
    }),
    'docker-entrypoint.mjs': entrypointScript(),
    '.env.example': renderEnvExample(manifest),
  };
}

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}
