#!/usr/bin/env node
// Runs the TypeScript CLI straight from source, so `npx atolye` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
// `atolye … | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
