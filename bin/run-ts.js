#!/usr/bin/env node
// Runs a TypeScript file from source under tsx: `node bin/run-ts.js <file.ts> [args…]`.
// Registered in this process (not via --import), so children forked from it inherit no loader flags.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bin/run-ts.js <file.ts> [args…]');
  process.exit(64);
}
register();
const entry = path.resolve(file);
// The script sees itself as argv[1] and its own arguments after it, as if node ran it directly.
process.argv = [process.argv[0], entry, ...args];
await import(pathToFileURL(entry).href);
