#!/usr/bin/env node
// Starts the `atolye` CLI from its ahead-of-time build in dist/cli/, built first when it is missing
// or older than its sources (bin/cli-build.js), so TypeScript is never compiled on an ordinary run.
import module from 'node:module';
import { pathToFileURL } from 'node:url';
import { cliEntry } from './cli-build.js';

// better-sqlite3 13 crashes an older Node with SIGSEGV on its first query: refuse before that.
const MIN_NODE_MAJOR = 24;
if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  console.error(
    `atolye needs Node.js ${MIN_NODE_MAJOR} or newer, and this is ${process.version}. ` +
      'npm ci installs Node 24 in node_modules/.bin: run `npx atolye` or an npm script, ' +
      'or put a Node 24 first on your PATH.',
  );
  process.exit(1);
}

// Node ≥ 22.1 keeps V8's compiled code between runs; on Node 20 every run compiles it again.
if (typeof module.enableCompileCache === 'function') module.enableCompileCache();
// `atolye … | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
let entry;
try {
  entry = await cliEntry();
} catch (error) {
  console.error(`atolye: ${error.message}`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
