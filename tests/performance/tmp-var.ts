import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/index.js';
import { createLogging } from '../../src/logging/index.js';
import { Limits } from '../../src/runtime/contract.js';
import { createGateway, FunctionPool, hostLogger, Registry, silentLogger, type HostLogger } from '../../src/runtime/host/index.js';
import { signatureHeaders } from '../../src/runtime/signing.js';
import echo from '../../functions/echo/index.js';
import { bundleFunction } from '../helpers/function-bundle.js';
const agent = new http.Agent({ keepAlive: true });
const post = (port: number, sign: boolean) => () => new Promise<void>((resolve) => {
  const body = JSON.stringify({ input: { message: 'hello' }, meta: { invocationId: randomUUID(), attempt: 1 } });
  const h: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) };
  if (sign) Object.assign(h, signatureHeaders('s', { method: 'POST', path: '/fn/echo', body }));
  const req = http.request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/fn/echo', headers: h }, (res) => { res.resume(); res.on('end', () => resolve()); });
  req.end(body);
});
async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b-'));
  const config = loadConfig({ env: 'testing', overrides: { 'logging.dir': path.join(dir, 'logs'), 'logging.level': 'info' } }).config;
  const logging = createLogging(config, { service: 'host' });
  const bundlePath = await bundleFunction('functions/echo/index.ts', dir);
  async function gw(logger: HostLogger) {
    const registry = new Registry();
    registry.swap('echo', new FunctionPool({ name: 'echo', version: 'x', bundlePath, limits: Limits.parse({ ...echo.limits }), secrets: [] }, { stamp: { env: 't', release: 'r' }, logger }));
    const g = createGateway({ config: { security: { signingSecret: 's', adminToken: '' } }, registry, logger, metrics: undefined });
    return (await g.listen(0)).port;
  }
  const file = path.join(dir, 'bare.mjs');
  writeFileSync(file, `process.on('message', (m) => process.send({ t: 'result', id: m.id, ok: true, output: { message: m.input.message, pid: process.pid }, durationMs: 0 })); process.send({t:'ready'});`);
  const child = fork(file, [], { env: {} });
  await new Promise((r) => child.once('message', r));
  const pending = new Map<string, (o: unknown) => void>(); let seq = 0;
  child.on('message', (m: { id: string; output: unknown }) => { pending.get(m.id)?.(m.output); pending.delete(m.id); });
  const server = http.createServer((req, res) => { const c: Buffer[] = []; req.on('data', (d: Buffer) => c.push(d)); req.on('end', () => { const call = JSON.parse(Buffer.concat(c).toString()); const id = String(++seq); pending.set(id, (output) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ output })); }); child.send({ t: 'invoke', id, input: call.input }); }); });
  await new Promise<void>((r) => server.listen(0, r));
  const barePort = (server.address() as AddressInfo).port;
  const variants: Record<string, () => Promise<void>> = {
    prototype: post(barePort, false),
    'gateway silent': post(await gw(silentLogger), true),
    'gateway logs': post(await gw(hostLogger(logging)), true),
  };
  const samples: Record<string, number[]> = {};
  for (const k in variants) { samples[k] = []; for (let i = 0; i < 500; i++) await variants[k]!(); }
  for (let r = 0; r < 10; r++) for (const k in variants) for (let i = 0; i < 1000; i++) { const t = performance.now(); await variants[k]!(); samples[k]!.push(performance.now() - t); }
  for (const k in samples) { const s = samples[k]!.sort((a, b) => a - b); console.log(k.padEnd(20), 'p50', s[s.length >> 1]!.toFixed(3), 'p99', s[Math.floor(s.length * 0.99)]!.toFixed(3)); }
  process.exit(0);
}
main();
