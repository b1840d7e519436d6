/**
 * Warm invoke through the worker host vs a direct in-process call and vs a bare fork+IPC gateway
 * prototype (the DESIGN anchor), plus cold start and trivial-function throughput.
 *
 *   npx tsx tests/performance/host-invoke.bench.ts      (BENCH_ROUNDS, BENCH_ROUND_CALLS to size it)
 *
 * Signing (client and gateway), input/output validation (in the worker) and logging (real channel
 * files: the handler's forwarded record plus the host's line per invocation) are all on. Variants
 * run interleaved in rounds, so a noisy neighbour slows all of them alike; compare the ratios.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { build } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, projectRoot } from '../../src/config/index.js';
import { createLogging } from '../../src/logging/index.js';
import { Limits } from '../../src/runtime/contract.js';
import {
  createGateway,
  FunctionPool,
  hostLogger,
  Registry,
  silentLogger,
} from '../../src/runtime/host/index.js';
import echo from '../../functions/echo/index.js';
import { bundleFunction } from '../helpers/function-bundle.js';
import type { ClientCommand, ClientReply } from './host-invoke-client.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const ROUND_CALLS = Number(process.env.BENCH_ROUND_CALLS ?? 1_000);
const SECRET = 'bench-secret';
const input = { message: 'hello' };
const stamp = { env: 'testing', release: 'bench' };

/** The bare prototype's worker: answers each invoke at once, no validation, no logs. */
const BARE_CHILD = `process.on('message', (m) => process.send({ t: 'result', id: m.id, ok: true, output: { message: m.input.message, pid: process.pid }, durationMs: 0 }));
process.send({ t: 'ready' });`;

interface Stats {
  p50: number;
  p99: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { p50: at(0.5), p99: at(0.99) };
}
const ms = (value: number): string => `${value.toFixed(3)} ms`;

/** Forks the load generator (bundled, so it runs on plain node) and returns a way to drive it. */
async function startClient(
  dir: string,
): Promise<{ run(command: Omit<ClientCommand, 'secret'>): Promise<ClientReply>; stop(): void }> {
  const outfile = path.join(dir, 'client.mjs');
  await build({
    entryPoints: [path.join(projectRoot(), 'tests/performance/host-invoke-client.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  const child = fork(outfile, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    run: (command) =>
      new Promise((resolve) => {
        child.once('message', (reply: ClientReply) => resolve(reply));
        child.send({ ...command, secret: SECRET });
      }),
    stop: () => child.kill(),
  };
}

/** node:http in front of one forked child over IPC: the floor any gateway on this machine stands on. */
async function barePrototype(dir: string): Promise<{ port: number; close(): Promise<void> }> {
  const file = path.join(dir, 'bare-child.mjs');
  writeFileSync(file, BARE_CHILD);
  const child: ChildProcess = fork(file, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {},
  });
  await new Promise((resolve) => child.once('message', resolve));
  const pending = new Map<string, (output: unknown) => void>();
  let sequence = 0;
  child.on('message', (message: { id: string; output: unknown }) => {
    pending.get(message.id)?.(message.output);
    pending.delete(message.id);
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const call = JSON.parse(Buffer.concat(chunks).toString()) as { input: unknown };
      const id = String((sequence += 1));
      pending.set(id, (output) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ output }));
      });
      child.send({ t: 'invoke', id, input: call.input });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      child.kill();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atolye-bench-'));
  const overrides = { 'logging.dir': path.join(dir, 'logs'), 'logging.level': 'info' };
  const config = loadConfig({ env: 'testing', overrides }).config;
  const logging = createLogging(config, { service: 'host', release: 'bench' });
  const logger = hostLogger(logging, { level: config.logging.level });
  const bundlePath = await bundleFunction('functions/echo/index.ts', dir);
  const spec = {
    name: 'echo',
    version: 'bench',
    bundlePath,
    limits: Limits.parse({ ...echo.limits, idleMs: 600_000 }),
    secrets: [],
  };

  const hosts = await Promise.all(
    [logger, silentLogger].map(async (hostLog) => {
      const registry = new Registry();
      const pool = new FunctionPool(spec, { stamp, logger: hostLog });
      registry.swap('echo', pool);
      const gateway = createGateway({
        config: { security: { signingSecret: SECRET, adminToken: '' } },
        registry,
        logger: hostLog,
      });
      return { pool, gateway, port: (await gateway.listen(0, '127.0.0.1')).port };
    }),
  );
  const [logged, silent] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
  const bare = await barePrototype(dir);
  const client = await startClient(dir);
  const log = { info() {}, warn() {}, error() {}, debug() {} };

  const inProcess =
    (run: () => Promise<unknown>) =>
    async (calls: number): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < calls; i += 1) {
        const started = performance.now();
        await run();
        samples.push(performance.now() - started);
      }
      return samples;
    };
  const overHttp =
    (port: number, sign: boolean) =>
    async (calls: number): Promise<number[]> =>
      (await client.run({ port, sign, calls })).samples ?? [];
  const variants: Record<string, (calls: number) => Promise<number[]>> = {
    'direct in-process call (validate+handle)': inProcess(async () => {
      const output = await echo.handle(echo.input.parse(input), {
        invocationId: randomUUID(),
        attempt: 1,
        signal: new AbortController().signal,
        log,
      });
      echo.output.parse(output);
    }),
    'pool.invoke in the host (IPC, logs)': inProcess(() => logged.pool.invoke(input)),
    'bare fork+IPC gateway prototype': overHttp(bare.port, false),
    'host gateway, logging off': overHttp(silent.port, true),
    'host gateway (sign+validate+logs)': overHttp(logged.port, true),
  };
  const samples = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
  for (const measure of Object.values(variants)) await measure(500);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, measure] of Object.entries(variants))
      (samples.get(name) as number[]).push(...(await measure(ROUND_CALLS)));
  }

  console.log(
    `node ${process.version}, ${os.cpus().length} CPUs; ${ROUNDS} interleaved rounds of ${ROUND_CALLS} sequential calls; HTTP calls from a separate client process`,
  );
  const results = new Map([...samples].map(([name, values]) => [name, stats(values)]));
  for (const [name, result] of results)
    console.log(`${name.padEnd(42)} p50 ${ms(result.p50)}  p99 ${ms(result.p99)}`);
  const direct = results.get('direct in-process call (validate+handle)') as Stats;
  const host = results.get('host gateway (sign+validate+logs)') as Stats;
  const prototype = results.get('bare fork+IPC gateway prototype') as Stats;
  console.log(
    `added by the host over a direct call: p50 ${ms(host.p50 - direct.p50)}, p99 ${ms(host.p99 - direct.p99)}`,
  );
  console.log(
    `bare prototype over a direct call:    p50 ${ms(prototype.p50 - direct.p50)}, p99 ${ms(prototype.p99 - direct.p99)}`,
  );
  console.log(
    `host / prototype: p50 ×${(host.p50 / prototype.p50).toFixed(2)}, p99 ×${(host.p99 / prototype.p99).toFixed(2)}`,
  );

  for (const [label, port] of [
    ['prototype', bare.port],
    ['host gateway', logged.port],
  ] as const) {
    const { completed = 0 } = await client.run({
      port,
      sign: port === logged.port,
      seconds: 3,
      concurrency: 16,
    });
    console.log(
      `throughput, ${label}, 16 concurrent callers: ${Math.round(completed / 3)} invocations/s`,
    );
  }

  const colds: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    const fresh = new FunctionPool(spec, { stamp, logger });
    const started = performance.now();
    const result = await fresh.invoke(input);
    colds.push(performance.now() - started);
    if (!result.ok || !result.coldStart) throw new Error('expected a cold start');
    await fresh.drain();
  }
  console.log(
    `cold start (fork → first reply), 10 runs: p50 ${ms(stats(colds).p50)}, max ${ms(Math.max(...colds))}`,
  );

  client.stop();
  await Promise.all([logged.gateway.close(), silent.gateway.close(), bare.close()]);
  await logging.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
