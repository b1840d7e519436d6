import type { Manifest } from '../../runtime/bundle/index.js';
import { renderCompose, renderEnvExample } from './compose.js';
import { renderDockerfile, renderDockerignore } from './dockerfile.js';
import { entrypointScript } from './entrypoint.js';
import { renderDockerReadme } from './readme.js';

export { dockerNextSteps } from './readme.js';

/**
 * The docker target: file name (relative to the output folder) → content. Nothing in the files
 * names the folder they are written to or the project root: the build context is given on the
 * `docker build` command line, so the same manifest gives the same bytes in any folder.
 */
export function renderDocker(manifest: Manifest): Record<string, string> {
  return {
    Dockerfile: renderDockerfile(manifest),
    'Dockerfile.dockerignore': renderDockerignore(),
    'docker-compose.yml': renderCompose(manifest),
    'docker-entrypoint.mjs': entrypointScript(),
    '.env.example': renderEnvExample(manifest),
    'README.md': renderDockerReadme(manifest),
  };
}
