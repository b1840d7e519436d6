import { randomUUID } from 'node:crypto';
import http from 'node:http';
import echo from '../../functions/echo/index.js';
import type { HandlerLog } from '../../src/runtime/contract.js';
import { createInvoker } from '../../src/runtime/invoke.js';
import { SECRET, startHostFixture, type Benchmark } from './harness.js';
import { signedPost } from './http-client.js';
import { startBarePrototype, startPlainServer } from './http-targets.js';
import type { LoadCommand } from './load-client.js';
import { startLoadClient } from './load-driver.js';
import { baselineTimes, type Figure } from './figures.js';
import { summarize, type Summary } from './stats.js';

const FULL = { warmupCalls: 300, rounds: 6, roundCalls: 400 };
const QUICK = { warmupCalls: 100, rounds: 2, roundCalls: 200 };
/** DESIGN.md: what the host adds over a direct call, p50, ≤ 1.2× what the bare prototype adds. */
const OVER_BARE = 1.2;
/** Per variant and round: a round that takes longer stops early (a stalled host cannot hang the run). */
const ROUND_MAX_MS = 8_000;
const INPUT = { message: 'hello' };

const quiet: HandlerLog = { info() {}, warn() {}, error() {}, debug() {} };

/** A variant times its own calls: in this process one by one, or in the load client's process. */
type Variant = (calls: number, maxMs: number) => Promise<number[]>;

/**
 * Warm invoke overhead: sequential calls of echo through the in-process host, next to a direct
 * call of the same handler (input and output validated, as the worker does). HTTP callers run in
 * this process (the invoke client, and a lean http.request client) and, as the orchestrator does,
 * in a process of their own. Variants run interleaved in rounds, so a noisy neighbour slows all of
 * them alike.
 */
export const invokeOverhead: Benchmark = {
  name: 'invoke-overhead',
  description: 'warm invoke through the host vs a direct in-process call',
  async run(ctx) {
    const { warmupCalls, rounds, roundCalls } = ctx.quick ? QUICK : FULL;
    const host = await startHostFixture(ctx, 'echo', { idleMs: 600_000 });
    const plain = await startPlainServer();
    const bare = await startBarePrototype(ctx);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const invoke = createInvoker({
      baseUrl: host.url,
      secret: SECRET,
      retries: 0,
      timeoutMs: 10_000,
    });
    const client = await startLoadClient(ctx);
    const expect200 = (status: number): void => {
      if (status !== 200) throw new Error(`expected 200, got ${status}`);
    };
    try {
      const local =
        (call: () => Promise<unknown>): Variant =>
        async (calls, maxMs) => {
          const samples: number[] = [];
          const until = performance.now() + maxMs;
          for (let i = 0; i < calls && performance.now() < until; i += 1) {
            const started = performance.now();
            await call();
            samples.push(performance.now() - started);
          }
          return samples;
        };
      const remote =
        (call: Pick<LoadCommand, 'port' | 'secret'>): Variant =>
        async (calls, maxMs) => {
          const result = await client.drive({
            ...call,
            path: '/fn/echo',
            concurrency: 1,
            calls,
            maxMs,
            samples: true,
          });
          const failed = Object.entries(result.failed);
          if (failed.length > 0)
            throw new Error(
              `calls from the client process failed: ${JSON.stringify(result.failed)}`,
            );
          return result.samples ?? [];
        };
      const variants: Record<string, Variant> = {
        direct: local(async () => {
          const input = echo.input.safeParse(INPUT);
          if (!input.success) throw new Error('echo input rejected');
          const output = await echo.handle(input.data, {
            invocationId: randomUUID(),
            attempt: 1,
            signal: new AbortController().signal,
            log: quiet,
            // echo declares no settings.
            settings: {},
          });
          if (!echo.output.safeParse(output).success) throw new Error('echo output rejected');
        }),
        pool: local(async () => {
          const result = await host.pool.invoke(INPUT);
          if (!result.ok) throw new Error(`pool.invoke failed: ${result.error.message}`);
        }),
        hostRaw: local(async () =>
          expect200(await signedPost(agent, host.port, '/fn/echo', INPUT, SECRET)),
        ),
        hostInvoker: local(() => invoke('echo', INPUT)),
        plainRaw: local(async () =>
          expect200(await signedPost(agent, plain.port, '/fn/echo', INPUT, undefined)),
        ),
        bareRaw: local(async () =>
          expect200(await signedPost(agent, bare.port, '/fn/echo', INPUT, undefined)),
        ),
        hostRemote: remote({ port: host.port, secret: SECRET }),
        plainRemote: remote({ port: plain.port }),
        bareRemote: remote({ port: bare.port }),
      };
      const samples = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
      for (const measure of Object.values(variants)) await measure(warmupCalls, ROUND_MAX_MS);
      for (let round = 0; round < rounds; round += 1) {
        for (const [name, measure] of Object.entries(variants)) {
          (samples.get(name) as number[]).push(...(await measure(roundCalls, ROUND_MAX_MS)));
        }
      }
      const s = Object.fromEntries(
        [...samples].map(([name, values]) => [name, summarize(values)]),
      ) as Record<keyof typeof variants, Summary>;
      return {
        figures: figures(s),
        details: {
          calls: rounds * roundCalls,
          rounds,
          summaries: s,
          stats: host.pool.stats(),
        },
      };
    } finally {
      agent.destroy();
      await client.stop();
      await Promise.all([host.close(), plain.close(), bare.close()]);
    }
  },
};

function figures(s: Record<string, Summary>): Figure[] {
  const get = (name: string): Summary => s[name] as Summary;
  const direct = get('direct');
  const added = (name: string, p: 'p50' | 'p99'): number => get(name)[p] - direct[p];
  const out: Figure[] = [
    { name: 'direct call p50 (validate, handle, validate)', value: direct.p50, unit: 'ms' },
    { name: 'direct call p99', value: direct.p99, unit: 'ms' },
  ];
  // The target compares like with like: the same raw client in front of the host and the prototype.
  const callers = [
    { variant: 'hostRaw', bare: 'bareRaw', label: 'raw http client, same process', held: true },
    {
      variant: 'hostInvoker',
      bare: 'bareRaw',
      label: 'invoke client (fetch), same process',
      held: false,
    },
    {
      variant: 'hostRemote',
      bare: 'bareRemote',
      label: 'raw http client, own process',
      held: true,
    },
  ];
  for (const p of ['p50', 'p99'] as const) {
    for (const caller of callers) {
      const bare = added(caller.bare, p);
      out.push({
        name: `added ${p}, host, ${caller.label}`,
        value: added(caller.variant, p),
        unit: 'ms',
        baseline: {
          name: `bare prototype, ${caller.bare === 'bareRaw' ? 'same process' : 'own process'}`,
          value: bare,
        },
        target: p === 'p50' && caller.held ? baselineTimes('<=', bare, OVER_BARE) : undefined,
        note:
          out.length === 2
            ? "host pN − direct pN; every HTTP caller sends the invoke client's signed body and headers"
            : undefined,
      });
    }
  }
  out.push(
    {
      name: 'invoke client over raw client p50',
      value: get('hostInvoker').p50 - get('hostRaw').p50,
      unit: 'ms',
      note: 'createInvoker on undici fetch (signing, AbortSignal deadline, reply schema) vs http.request',
    },
    {
      name: 'host over plain node:http p50, same process',
      value: get('hostRaw').p50 - get('plainRaw').p50,
      unit: 'ms',
      baseline: {
        name: 'bare prototype over plain',
        value: get('bareRaw').p50 - get('plainRaw').p50,
      },
      note: 'what the host itself adds to HTTP: signing, routing, idempotency, pool, IPC, worker validation, logs',
    },
    {
      name: 'host over plain node:http p50, own process',
      value: get('hostRemote').p50 - get('plainRemote').p50,
      unit: 'ms',
      baseline: {
        name: 'bare prototype over plain',
        value: get('bareRemote').p50 - get('plainRemote').p50,
      },
    },
    {
      name: 'plain node:http p50, same process (HTTP floor)',
      value: added('plainRaw', 'p50'),
      unit: 'ms',
    },
    {
      name: 'plain node:http p50, own process (HTTP floor)',
      value: added('plainRemote', 'p50'),
      unit: 'ms',
    },
    { name: 'pool.invoke p50, no HTTP (IPC + worker)', value: added('pool', 'p50'), unit: 'ms' },
    { name: 'pool.invoke p99, no HTTP', value: added('pool', 'p99'), unit: 'ms' },
  );
  return out;
}
