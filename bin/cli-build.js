#!/usr/bin/env node
// The `atolye` CLI's ahead-of-time build (src/cli/build.ts writes it into dist/cli/).
// `node bin/cli-build.js` builds it now (npm run build, npm install); bin/atolye.js imports
// `cliEntry` to start the current build, or a new one when a source has changed.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// The same place as CLI_OUT_DIR and BUILD_RECORD in src/cli/build.ts.
const RECORD = path.join(ROOT, 'dist', 'cli', 'build.json');

/** The entry module of a build of the current sources, building one when there is none. */
export async function cliEntry() {
  return freshEntry() ?? (await buildCli()).entry;
}

/**
 * The recorded build's entry while every file it was built from keeps the mtime it had then
 * (one stat per input: a few milliseconds); undefined when there is no such build.
 */
function freshEntry() {
  let record;
  try {
    record = JSON.parse(readFileSync(RECORD, 'utf8'));
  } catch {
    return undefined;
  }
  for (const [file, mtimeMs] of Object.entries(record.inputs ?? {})) {
    if (statSync(path.join(ROOT, file), { throwIfNoEntry: false })?.mtimeMs !== mtimeMs) {
      return undefined;
    }
  }
  const entry = path.join(path.dirname(RECORD), record.entry);
  return existsSync(entry) ? entry : undefined;
}

/** Builds now. The builder is TypeScript: tsx compiles it for this call only, not the CLI. */
export async function buildCli() {
  const { tsImport } = await import('tsx/esm/api');
  const builder = await tsImport('../src/cli/build.ts', import.meta.url);
  return builder.buildCli({ rootDir: ROOT });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const built = await buildCli();
    console.log(
      `built the atolye CLI in ${built.ms} ms → ${path.relative(ROOT, built.entry)} ` +
        `(${Object.keys(built.record.inputs).length} sources)`,
    );
  } catch (error) {
    console.error(`atolye: ${error.message}`);
    process.exitCode = 1;
  }
}
