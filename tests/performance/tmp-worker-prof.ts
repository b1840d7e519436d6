import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { bundleFunction } from '../helpers/function-bundle.js';

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b-'));
  const bundlePath = await bundleFunction('functions/echo/index.ts', dir);
  const child = fork(bundlePath, [], { execArgv: ['--cpu-prof', '--cpu-prof-dir=/tmp/bench/wprof', '--enable-source-maps'], env: { ATOLYE_WORKER: 'ipc' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => child.once('message', r));
  const pending = new Map<string, () => void>();
  let seq = 0;
  child.on('message', (m: { t: string; id: string }) => { if (m.t === 'result') { pending.get(m.id)?.(); pending.delete(m.id); } });
  const once = () => new Promise<void>((resolve) => {
    const id = String(++seq);
    pending.set(id, resolve);
    child.send({ t: 'invoke', id, input: { message: 'hello' }, meta: { invocationId: randomUUID(), attempt: 1 }, timeoutMs: 10000 });
  });
  const s: number[] = [];
  for (let i = 0; i < 20000; i++) { const t = performance.now(); await once(); s.push(performance.now() - t); }
  s.sort((a, b) => a - b);
  console.log('echo bundle raw IPC p50', s[10000]!.toFixed(3), 'p99', s[19800]!.toFixed(3));
  child.send({ t: 'shutdown' });
  await new Promise((r) => child.once('exit', r));
}
main();
