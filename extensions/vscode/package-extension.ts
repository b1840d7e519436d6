import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { AtolyeError } from '../../src/errors.js';

/**
 * Builds the VS Code extension: its code bundled by esbuild into one CommonJS file (`.cjs`, which
 * VS Code 1.100 loads with `require` although the package is ESM; `vscode` is the one module the
 * editor provides), staged beside its
 * manifest, README, licence and icon, then packed by `@vscode/vsce` into
 * `<outDir>/atolye-vscode-<version>.vsix`.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ENTRY = path.join(HERE, 'src', 'extension.ts');
const STAGED = ['package.json', 'README.md', 'LICENSE.txt', 'media'];

export interface PackagedExtension {
  vsix: string;
  version: string;
  /** Sizes of the packed .vsix and of the bundled code in it. */
  bytes: number;
  bundleBytes: number;
}

export async function packageExtension(options: {
  outDir: string;
  minify?: boolean;
}): Promise<PackagedExtension> {
  const manifest = JSON.parse(readFileSync(path.join(HERE, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const stage = path.join(options.outDir, 'vscode-extension');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const entry of STAGED) {
    cpSync(path.join(HERE, entry), path.join(stage, entry), { recursive: true });
  }
  const bundle = path.join(stage, 'dist', 'extension.cjs');
  await esbuild.build({
    entryPoints: [ENTRY],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // VS Code's extension host, not the product's Node: VS Code 1.100 runs extensions on Node 20.
    target: 'node20',
    external: ['vscode'],
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'error',
  });
  const vsix = path.join(options.outDir, `${manifest.name}-${manifest.version}.vsix`);
  await vsce(stage, vsix);
  return {
    vsix,
    version: manifest.version,
    bytes: statSync(vsix).size,
    bundleBytes: statSync(bundle).size,
  };
}

/** vsce in a child process: its file listing and notes stay out of the build's report. */
async function vsce(stage: string, vsix: string): Promise<void> {
  const cli = path.join(
    path.dirname(createRequire(import.meta.url).resolve('@vscode/vsce/package.json')),
    'vsce',
  );
  const args = ['package', '--no-dependencies', '--allow-missing-repository', '--out', vsix];
  try {
    await promisify(execFile)(process.execPath, [cli, ...args], { cwd: stage });
  } catch (error) {
    const said = (error as { stderr?: string; stdout?: string }).stderr?.trim();
    throw new AtolyeError(
      'EXTENSION_PACKAGE_FAILED',
      `vsce could not package the VS Code extension: ${said || (error as Error).message}`,
      { cause: error },
    );
  }
}
