import { execFile } from 'node:child_process';
import { cpSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../../helpers/tmp.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
/** What the CLI is built and configured from; node_modules is linked, not copied. */
const COPIED = [
  'bin',
  'src',
  'config',
  'extensions/vscode/package-extension.ts',
  'functions/echo',
  'package.json',
  'tsconfig.json',
];

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CheckoutCopy {
  dir: string;
  /** `node bin/atolye.js ARGS` in the copy, in the testing environment (data under the copy). */
  atolye(...args: string[]): Promise<ProcessResult>;
  /** `node bin/cli-build.js` in the copy. */
  buildScript(): Promise<ProcessResult>;
  cleanup(): void;
}

/**
 * A copy of the checkout's sources in a temporary folder, so a test can build the CLI, change a
 * source and see what `npx atolye` does, without touching the real sources or the real dist/cli.
 * File times are kept: a copy is as fresh or stale as the checkout's own files.
 */
export function copyCheckout(): CheckoutCopy {
  const work = tempDir('atolye-cli-checkout-');
  for (const entry of COPIED) {
    cpSync(path.join(REPO, entry), path.join(work.dir, entry), {
      recursive: true,
      preserveTimestamps: true,
    });
  }
  symlinkSync(path.join(REPO, 'node_modules'), path.join(work.dir, 'node_modules'), 'dir');
  const node = (script: string, args: string[]): Promise<ProcessResult> =>
    runNode(work.dir, [path.join(work.dir, script), ...args]);
  return {
    dir: work.dir,
    atolye: (...args) => node('bin/atolye.js', args),
    buildScript: () => node('bin/cli-build.js', []),
    cleanup: work.cleanup,
  };
}

async function runNode(dir: string, args: string[]): Promise<ProcessResult> {
  const env = { PATH: process.env.PATH ?? '', HOME: dir, ATOLYE_ENV: 'testing' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: dir, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
