#!/usr/bin/env node
// Runs the TypeScript CLI straight from source, so `npx atolye` works right after `npm ci`.
import { register } from 'tsx/esm/api';

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
register();
// `atolye … | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
