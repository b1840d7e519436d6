import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';
import type { SandboxMode } from '../config/types.js';
import { AtolyeError } from '../errors.js';

/**
 * Are the Debian packages a command uses installed? Asked before `npm test` (bin/check-system.js),
 * the local deploy and the demo, so that a missing one is named once, with the line that installs
 * it, instead of surfacing as a dozen scattered failures later. Only file lookups: no process is
 * started unless packages are installed.
 */

/** Where a package is looked for: the directories of PATH, and the root of absolute paths. */
interface Where {
  searchPath: string;
  root: string;
}

/** What proves a package installed: the file the code that uses it looks for. */
interface Proof {
  /** Named in the message, e.g. `bwrap`. */
  shows: string;
  present(where: Where): boolean;
}

/** Executables looked up on PATH, as the sandbox, the tools and tests/helpers do. */
function onPath(...names: string[]): Proof {
  return {
    shows: names.join(', '),
    present: ({ searchPath }) =>
      names.every((name) =>
        searchPath.split(path.delimiter).some((dir) => dir !== '' && executable(dir, name)),
      ),
  };
}

/** One absolute path, used as it is (the browser tests launch /usr/bin/chromium). */
function atFile(file: string): Proof {
  return { shows: file, present: ({ root }) => executable(root, file) };
}

/** tests/helpers/postgres.ts runs initdb and postgres from /usr/lib/postgresql/<version>/bin. */
const postgresServer: Proof = {
  shows: '/usr/lib/postgresql/<version>/bin/initdb',
  present: ({ root }) => {
    const base = path.join(root, 'usr/lib/postgresql');
    let versions: string[];
    try {
      versions = readdirSync(base).filter((name) => /^\d+$/.test(name));
    } catch {
      return false;
    }
    return versions.some((version) =>
      ['initdb', 'postgres'].every((name) => executable(base, version, 'bin', name)),
    );
  },
};

function executable(...parts: string[]): boolean {
  try {
    accessSync(path.join(...parts), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Each package by its Debian name, in the order of the apt-get line. */
const PROOFS = {
  git: onPath('git'),
  bubblewrap: onPath('bwrap'),
  python3: onPath('python3'),
  ripgrep: onPath('rg'),
  postgresql: postgresServer,
  chromium: atFile('/usr/bin/chromium'),
  prometheus: onPath('prometheus', 'promtool'),
  'prometheus-alertmanager': onPath('amtool'),
} satisfies Record<string, Proof>;

export type DebianPackage = keyof typeof PROOFS;

/** What `npm test` uses: all of them. */
export const TEST_PACKAGES = Object.keys(PROOFS) as DebianPackage[];

/**
 * What a deployment on this machine uses: git for the workspaces, and bubblewrap unless the
 * sandbox is off (sandbox.mode "none", development only).
 */
export function runtimePackages(
  sandboxMode: SandboxMode,
  extra: DebianPackage[] = [],
): DebianPackage[] {
  const packages: DebianPackage[] = ['git', ...extra];
  if (sandboxMode === 'bwrap') packages.push('bubblewrap');
  return TEST_PACKAGES.filter((name) => packages.includes(name));
}

export interface EnsureOptions {
  /** Read for PATH, CI and ATOLYE_SKIP_SYSTEM_CHECK; apt-get runs with it. */
  env: NodeJS.ProcessEnv;
  /** Under which absolute paths are looked for; `/` but in tests. */
  root?: string;
  /** Whether this process may install packages; root's by default. */
  isRoot?: boolean;
  /** Installs packages; apt-get by default. */
  install?: (packages: DebianPackage[]) => void;
}

/**
 * Returns when every package is there. Otherwise, as root with CI set, installs the missing ones
 * (.ci/run relies on it); else throws SYSTEM_PACKAGES_MISSING naming them, with the apt-get line.
 * ATOLYE_SKIP_SYSTEM_CHECK=1 skips the check (for a machine that has the tools elsewhere).
 */
export function ensureSystemPackages(
  purpose: string,
  packages: readonly DebianPackage[],
  options: EnsureOptions,
): void {
  const { env } = options;
  if (isSet(env.ATOLYE_SKIP_SYSTEM_CHECK)) return;
  const where = { searchPath: env.PATH ?? '', root: options.root ?? '/' };
  const missing = packages.filter((name) => !PROOFS[name].present(where));
  if (missing.length === 0) return;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (isRoot && isSet(env.CI)) {
    (options.install ?? ((packages) => aptGetInstall(packages, env)))(missing);
    const still = missing.filter((name) => !PROOFS[name].present(where));
    if (still.length === 0) return;
    throw missingError(`apt-get ran, but ${purpose} still lacks`, still, isRoot);
  }
  throw missingError(`${purpose} needs Debian packages that are not installed`, missing, isRoot);
}

function missingError(lead: string, missing: DebianPackage[], isRoot: boolean): AtolyeError {
  const named = missing
    .map((name) => (PROOFS[name].shows === name ? name : `${name} (${PROOFS[name].shows})`))
    .join(', ');
  return new AtolyeError(
    'SYSTEM_PACKAGES_MISSING',
    `${lead}: ${named}. Install them with:\n` +
      `  ${isRoot ? '' : 'sudo '}apt-get install -y --no-install-recommends ${missing.join(' ')}\n` +
      '(ATOLYE_SKIP_SYSTEM_CHECK=1 skips this check.)',
  );
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false'].includes(value.toLowerCase());
}

function aptGetInstall(packages: DebianPackage[], environ: NodeJS.ProcessEnv): void {
  process.stderr.write(`installing ${packages.join(' ')} (CI is set and this is root)\n`);
  const env = { ...environ, DEBIAN_FRONTEND: 'noninteractive' };
  const steps = [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...packages],
  ];
  for (const args of steps) {
    // apt's progress goes to stderr: stdout is the command's own result.
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 2, 2] });
    if (result.status !== 0) {
      throw new AtolyeError(
        'SYSTEM_PACKAGES_INSTALL_FAILED',
        `apt-get ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}): see its output above`,
      );
    }
  }
}
