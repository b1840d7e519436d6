import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './paths.js';
import type { AtolyeConfig } from './schema.js';

let cached: string | undefined;

/** `release` from the config, or `<package version>+<git sha>` when the sha is known. */
export function resolveRelease(config: Pick<AtolyeConfig, 'release'>): string {
  if (config.release) return config.release;
  if (cached) return cached;
  const root = projectRoot();
  let version = '0.0.0';
  try {
    version = (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    // A bundled function has no package.json beside it; the host passes ATOLYE_RELEASE instead.
  }
  const sha = process.env.ATOLYE_GIT_SHA ?? gitSha(root);
  cached = sha ? `${version}+${sha}` : version;
  return cached;
}

function gitSha(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}
