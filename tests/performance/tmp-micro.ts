import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.js';
import { createLogging, withLogContext } from '../../src/logging/index.js';
function bench(label: string, n: number, fn: (i: number) => unknown) { const t = performance.now(); for (let i = 0; i < n; i++) fn(i); console.log(label.padEnd(40), ((performance.now() - t) / n * 1000).toFixed(3), 'µs'); }
async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b-'));
  const config = loadConfig({ env: 'testing', overrides: { 'logging.dir': dir, 'logging.level': 'info' } }).config;
  const logging = createLogging(config, { service: 'host' });
  const ctx = { requestId: 'req-1', invocationId: 'inv-1', function: 'echo', threadId: undefined, runId: undefined, step: undefined };
  bench('withLogContext', 100000, () => withLogContext(ctx, () => 1));
  const sys = logging.log('system');
  bench('system.info (sync part)', 20000, () => sys.info('invoked echo: 200', { function: 'echo', status: 200, outcome: 'ok', durationMs: 0.5, coldStart: false, worker: 123, code: undefined }));
  const rec = { ts: new Date().toISOString(), level: 'info' as const, channel: 'agent' as const, msg: 'echo', service: 'echo', env: 't', release: 'r', function: 'echo', worker: 1, invocationId: 'abc', length: 5 };
  bench('writeRecord (sync part)', 20000, () => logging.writeRecord(rec));
  await new Promise((r) => setTimeout(r, 500));
  await logging.close();
}
main();
