import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { Limits } from '../../src/runtime/contract.js';
import { FunctionPool, silentLogger } from '../../src/runtime/host/index.js';
import { bundleFunction } from '../helpers/function-bundle.js';
async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b-'));
  const echoB = await bundleFunction('functions/echo/index.ts', dir);
  const sleepyB = await bundleFunction('tests/fixtures/functions/sleepy/index.ts', dir);
  const mk = (name: string, b: string) => new FunctionPool({ name, version: 'x', bundlePath: b, limits: Limits.parse({ timeoutMs: 10000 }), secrets: [] }, { stamp: { env: 't', release: 'r' }, logger: silentLogger });
  const v: Record<string, () => Promise<unknown>> = { 'echo (logs 1 line)': ((p) => () => p.invoke({ message: 'hello' }))(mk('echo', echoB)), 'sleepy ms 0 (no log)': ((p) => () => p.invoke({ ms: 0 }))(mk('sleepy', sleepyB)) };
  const s: Record<string, number[]> = {};
  for (const k in v) { s[k] = []; for (let i = 0; i < 500; i++) await v[k]!(); }
  for (let r = 0; r < 10; r++) for (const k in v) for (let i = 0; i < 1000; i++) { const t = performance.now(); await v[k]!(); s[k]!.push(performance.now() - t); }
  for (const k in s) { const a = s[k]!.sort((x, y) => x - y); console.log(k.padEnd(24), 'p50', a[a.length >> 1]!.toFixed(3), 'p99', a[Math.floor(a.length * 0.99)]!.toFixed(3)); }
  process.exit(0);
}
main();
