import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ensureSystemPackages,
  runtimePackages,
  TEST_PACKAGES,
  type DebianPackage,
  type EnsureOptions,
} from '../../../src/cli/system-check.js';
import { tempDir } from '../../helpers/tmp.js';

// The system check against a made-up machine: a PATH directory and a root for the absolute paths
// (Chromium, the Postgres server), both temporary, holding exactly the files a test puts there.

let work: ReturnType<typeof tempDir>;
let bin: string;
let root: string;

beforeEach(() => {
  work = tempDir('atolye-system-check-');
  bin = path.join(work.dir, 'bin');
  root = path.join(work.dir, 'root');
  mkdirSync(bin);
  mkdirSync(root);
});
afterEach(() => work.cleanup());

/** Puts an executable (or, with mode 0o644, a plain file) at `file`. */
function place(file: string, mode = 0o755): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, mode);
}

function onPath(...names: string[]): void {
  for (const name of names) place(path.join(bin, name));
}

function everything(): void {
  onPath('git', 'bwrap', 'python3', 'rg', 'prometheus', 'promtool', 'amtool');
  place(path.join(root, 'usr/bin/chromium'));
  place(path.join(root, 'usr/lib/postgresql/16/bin/initdb'));
  place(path.join(root, 'usr/lib/postgresql/16/bin/postgres'));
}

function options(env: NodeJS.ProcessEnv = {}, more: Partial<EnsureOptions> = {}): EnsureOptions {
  return { env: { PATH: `${path.join(work.dir, 'empty')}:${bin}`, ...env }, root, ...more };
}

/** The error ensureSystemPackages throws, or undefined when it returns. */
function failure(
  packages: readonly DebianPackage[],
  given: EnsureOptions,
): { code: string; message: string } | undefined {
  try {
    ensureSystemPackages('`npm test`', packages, given);
    return undefined;
  } catch (error) {
    return error as { code: string; message: string };
  }
}

describe('the system check', () => {
  it('passes silently when every package the tests use is there', () => {
    everything();
    expect(failure(TEST_PACKAGES, options({}, { isRoot: false }))).toBeUndefined();
  });

  it('names every missing package in one message with the one apt-get line that installs them', () => {
    onPath('git', 'python3', 'prometheus', 'promtool');
    const error = failure(TEST_PACKAGES, options({}, { isRoot: false }));
    expect(error?.code).toBe('SYSTEM_PACKAGES_MISSING');
    expect(error?.message).toBe(
      '`npm test` needs Debian packages that are not installed: bubblewrap (bwrap), ripgrep (rg), ' +
        'postgresql (/usr/lib/postgresql/<version>/bin/initdb), chromium (/usr/bin/chromium), ' +
        'prometheus-alertmanager (amtool). Install them with:\n' +
        '  sudo apt-get install -y --no-install-recommends bubblewrap ripgrep postgresql chromium prometheus-alertmanager\n' +
        '(ATOLYE_SKIP_SYSTEM_CHECK=1 skips this check.)',
    );
  });

  it('counts only executables, and a Postgres server only with both initdb and postgres', () => {
    everything();
    place(path.join(bin, 'rg'), 0o644);
    place(path.join(root, 'usr/lib/postgresql/16/bin/postgres'), 0o644);
    expect(failure(TEST_PACKAGES, options({}, { isRoot: false }))?.message).toMatch(
      /not installed: ripgrep \(rg\), postgresql \(.*\)\. Install/,
    );
    // prometheus without promtool is not enough.
    const only = path.join(work.dir, 'only-prometheus');
    place(path.join(only, 'prometheus'));
    const alone = failure(['prometheus'], options({ PATH: only }));
    expect(alone?.message).toContain(': prometheus (prometheus, promtool). Install');
  });

  it('leaves sudo out of the line for root, and skips everything with ATOLYE_SKIP_SYSTEM_CHECK=1', () => {
    expect(failure(['git'], options({}, { isRoot: true }))?.message).toContain(
      '\n  apt-get install -y --no-install-recommends git\n',
    );
    expect(failure(TEST_PACKAGES, options({ ATOLYE_SKIP_SYSTEM_CHECK: '1' }))).toBeUndefined();
    expect(failure(['git'], options({ ATOLYE_SKIP_SYSTEM_CHECK: '0' }))?.code).toBe(
      'SYSTEM_PACKAGES_MISSING',
    );
  });

  it('as root with CI set, installs exactly the missing packages instead, then checks again', () => {
    onPath('git', 'python3');
    const installed: DebianPackage[][] = [];
    const install = (packages: DebianPackage[]): void => {
      installed.push(packages);
      onPath('bwrap', 'rg');
    };
    const packages: DebianPackage[] = ['git', 'bubblewrap', 'python3', 'ripgrep'];
    expect(failure(packages, options({ CI: 'true' }, { isRoot: true, install }))).toBeUndefined();
    expect(installed).toEqual([['bubblewrap', 'ripgrep']]);
  });

  it('says so when the install leaves a package missing, and installs nothing without root or CI', () => {
    const installed: DebianPackage[][] = [];
    const install = (packages: DebianPackage[]): void => void installed.push(packages);
    const error = failure(['git'], options({ CI: '1' }, { isRoot: true, install }));
    expect(error?.message).toMatch(/^apt-get ran, but `npm test` still lacks: git\. Install/);
    expect(installed).toEqual([['git']]);

    expect(failure(['git'], options({ CI: '1' }, { isRoot: false, install }))?.message).toContain(
      'sudo apt-get install',
    );
    expect(failure(['git'], options({ CI: 'false' }, { isRoot: true, install }))?.code).toBe(
      'SYSTEM_PACKAGES_MISSING',
    );
    expect(installed).toHaveLength(1);
  });
});

describe('what a deployment on this machine needs', () => {
  it('is git, and bubblewrap unless the sandbox is off; extras in the apt-get order', () => {
    expect(runtimePackages('bwrap')).toEqual(['git', 'bubblewrap']);
    expect(runtimePackages('none')).toEqual(['git']);
    expect(runtimePackages('bwrap', ['python3'])).toEqual(['git', 'bubblewrap', 'python3']);
  });
});
