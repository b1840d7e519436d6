import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** Real git with a clean environment and a fixed identity, for building test repositories. */
export function runGit(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function commitAll(cwd: string, message: string): string {
  runGit(cwd, 'add', '-A');
  runGit(cwd, 'commit', '-q', '--allow-empty', '-m', message);
  return runGit(cwd, 'rev-parse', 'HEAD').trim();
}

/**
 * Every entry under `dir` (`.git` included) with a hash of what it is: a file's mode and bytes,
 * a symlink's target, a folder's presence. Equal maps mean a byte-for-byte untouched folder.
 */
export function fingerprint(dir: string, skip: (relative: string) => boolean = () => false) {
  const result = new Map<string, string>();
  const walk = (current: string, prefix: string): void => {
    for (const name of readdirSync(current).sort()) {
      const relative = prefix === '' ? name : `${prefix}/${name}`;
      if (skip(relative)) continue;
      const full = path.join(current, name);
      const stats = lstatSync(full);
      if (stats.isSymbolicLink()) {
        result.set(relative, `link ${readlinkSync(full)}`);
      } else if (stats.isDirectory()) {
        result.set(relative, 'dir');
        walk(full, relative);
      } else {
        const hash = createHash('sha256').update(readFileSync(full)).digest('hex');
        result.set(relative, `${(stats.mode & 0o777).toString(8)} ${hash}`);
      }
    }
  };
  walk(dir, '');
  return Object.fromEntries(result);
}

/** The fingerprint of a working tree without its `.git`, to compare two trees' content. */
export function treeContent(dir: string): Record<string, string> {
  return fingerprint(dir, (relative) => relative === '.git' || relative.startsWith('.git/'));
}
