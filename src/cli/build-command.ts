import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { resolveFromRoot } from '../config/paths.js';
import type { Manifest } from '../runtime/bundle/index.js';
import type { CliContext } from './context.js';
import { registerTypeScript } from './typescript.js';

interface BuildFlags {
  out: string;
  functions: string;
  only?: string[];
  minify: boolean;
  extension: boolean;
}

const DEFAULT_FUNCTIONS = 'functions';

export function registerBuildCommand(program: Command, cli: CliContext): void {
  program
    .command('build')
    .description(
      'Bundle every function with esbuild and write the manifest; package the VS Code extension',
    )
    .option('--out <dir>', 'build folder, relative to the project root', 'dist')
    .option(
      '--functions <dir>',
      'folder of <name>/index.ts functions, relative to the project root',
      DEFAULT_FUNCTIONS,
    )
    .option('--only <names...>', 'rebuild only these functions (space- or comma-separated)')
    .option('--no-minify', 'keep the bundle readable (larger)')
    .option(
      '--no-extension',
      'skip the VS Code extension (also skipped with --only or another --functions folder)',
    )
    .action(async (flags: BuildFlags) => {
      const started = performance.now();
      const outDir = resolveFromRoot(flags.out);
      const only = flags.only?.flatMap((name) => name.split(',')).filter((name) => name.length > 0);
      const { budgetWarnings, buildFunctions } = await import('../runtime/bundle/index.js');
      const { OPENAPI_FILE, openApiJson } = await import('../orchestrator/api/openapi.js');
      const { ERROR_CODES_FILE, errorCodesMarkdown } = await import('../error-codes/markdown.js');
      await registerTypeScript();
      const manifest = await buildFunctions({
        outDir,
        functionsDir: flags.functions,
        only,
        minify: flags.minify,
      });
      const openApiFile = resolveFromRoot(OPENAPI_FILE);
      mkdirSync(path.dirname(openApiFile), { recursive: true });
      writeFileSync(openApiFile, openApiJson());
      writeFileSync(resolveFromRoot(ERROR_CODES_FILE), errorCodesMarkdown());
      const elapsed = performance.now() - started;

      cli.output.out(sizeTable(manifest));
      for (const warning of await budgetWarnings(manifest, outDir)) {
        const largest = warning.largest
          .map((input) => `${input.input} ${kib(input.bytes)}`)
          .join(', ');
        cli.output.err(
          `warning: ${warning.name} is ${kib(warning.bytes)}, over its ${kib(warning.budget)} budget ` +
            `(a bigger bundle starts slower); largest inputs: ${largest}`,
        );
      }
      cli.output.out(
        `built ${manifest.functions.length === 1 ? '1 function' : `${manifest.functions.length} functions`} ` +
          `in ${Math.round(elapsed)} ms → ${path.join(outDir, 'manifest.json')} (version ${manifest.version})`,
      );
      // The whole product's build: a partial or fixture build has no use for the extension.
      if (flags.extension && only === undefined && flags.functions === DEFAULT_FUNCTIONS) {
        const packedAt = performance.now();
        // Loaded on use: esbuild's extension bundle and vsce are only for this.
        const { packageExtension } = await import('../../extensions/vscode/package-extension.js');
        const packed = await packageExtension({ outDir, minify: flags.minify });
        cli.output.out(
          `packaged the VS Code extension ${packed.version} in ${Math.round(performance.now() - packedAt)} ms → ${packed.vsix} (${kib(packed.bytes)})`,
        );
      }
    });
}

/** The size report: one row per function in the manifest, sizes right-aligned. */
export function sizeTable(manifest: Manifest): string {
  const rows = manifest.functions.map((fn) => ({
    name: fn.name,
    size: kib(fn.bytes),
    version: fn.version,
    external: fn.external.join(', ') || '-',
  }));
  const header = { name: 'function', size: 'size', version: 'version', external: 'external' };
  const width = (column: 'name' | 'size' | 'version'): number =>
    Math.max(header[column].length, ...rows.map((row) => row[column].length));
  return [header, ...rows]
    .map((row) =>
      [
        row.name.padEnd(width('name')),
        row.size.padStart(width('size')),
        row.version.padEnd(width('version')),
        row.external,
      ].join('  '),
    )
    .join('\n');
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
