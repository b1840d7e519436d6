import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.js';
import { createLogging } from '../../src/logging/index.js';
import { Limits } from '../../src/runtime/contract.js';
import { createGateway, FunctionPool, hostLogger, Registry } from '../../src/runtime/host/index.js';
import { signatureHeaders } from '../../src/runtime/signing.js';
import echo from '../../functions/echo/index.js';
import { bundleFunction } from '../helpers/function-bundle.js';
async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b-'));
  const config = loadConfig({ env: 'testing', overrides: { 'logging.dir': path.join(dir, 'logs'), 'logging.level': 'info' } }).config;
  const logging = createLogging(config, { service: 'host' });
  const logger = hostLogger(logging, { level: 'info' });
  const bundlePath = await bundleFunction('functions/echo/index.ts', dir);
  const registry = new Registry();
  registry.swap('echo', new FunctionPool({ name: 'echo', version: 'x', bundlePath, limits: Limits.parse({ ...echo.limits }), secrets: [] }, { stamp: { env: 't', release: 'r' }, logger }));
  const gw = createGateway({ config: { security: { signingSecret: 's', adminToken: '' } }, registry, logger });
  const { port } = await gw.listen(0);
  const agent = new http.Agent({ keepAlive: true });
  const post = () => new Promise<void>((resolve) => {
    const body = JSON.stringify({ input: { message: 'hello' }, meta: { invocationId: randomUUID(), attempt: 1 } });
    const req = http.request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/fn/echo', headers: { 'content-length': Buffer.byteLength(body), ...signatureHeaders('s', { method: 'POST', path: '/fn/echo', body }) } }, (res) => { res.resume(); res.on('end', () => resolve()); });
    req.end(body);
  });
  const s: number[] = [];
  for (let i = 0; i < Number(process.env.N ?? 20000); i++) { const t = performance.now(); await post(); s.push(performance.now() - t); }
  s.sort((a, b) => a - b);
  console.log('gateway p50', s[s.length >> 1]!.toFixed(3), 'p99', s[Math.floor(s.length * 0.99)]!.toFixed(3));
  agent.destroy(); await gw.close(); await logging.close();
}
main();
