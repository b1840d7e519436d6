import { procCpuMs, SECRET, startHostFixture, type Benchmark } from './harness.js';
import { startBarePrototype, startPlainServer } from './http-targets.js';
import type { LoadCommand, LoadResult } from './load-client.js';
import { startLoadClient, type LoadClient } from './load-driver.js';
import { baselineTimes, type Figure } from './figures.js';

const FULL = { levels: [1, 16, 64], maxMs: 4_000 };
const QUICK = { levels: [64], maxMs: 2_000 };
const CALLS = 20_000;
const WARMUP = { calls: 2_000, concurrency: 16, maxMs: 3_000 };
/** DESIGN.md: at 64 callers the host serves ≥ 0.6× the calls/s of the bare fork+IPC prototype. */
const TARGET = { concurrency: 64, ofBare: 0.6 };
/** The pool this benchmark is allowed: 2 workers × 32 calls at once. */
const POOL_LIMITS = {
  minWorkers: 2,
  maxWorkers: 2,
  concurrency: 32,
  queueSize: 1_000,
  idleMs: 600_000,
};

/** A load run with the CPU each side spent on it, in µs per completed call. */
interface Measured extends LoadResult {
  perSecond: number;
  cpuUsPerCall: { client: number; server: number; workers: number };
}

/**
 * Trivial-function throughput through the host (echo, 2 workers × 32) at 1, 16 and 64 callers,
 * next to a plain node:http server and DESIGN.md's bare fork+IPC prototype, all driven by the same
 * client process. CPU per call on each side says which process is the bottleneck.
 */
export const throughput: Benchmark = {
  name: 'throughput',
  description: 'trivial function, calls/s through the host vs plain node:http',
  async run(ctx) {
    const { levels, maxMs } = ctx.quick ? QUICK : FULL;
    const host = await startHostFixture(ctx, 'echo', POOL_LIMITS);
    const plain = await startPlainServer();
    const bare = await startBarePrototype(ctx);
    const client = await startLoadClient(ctx);
    try {
      const targets: Record<
        string,
        { call: Pick<LoadCommand, 'port' | 'path' | 'secret'>; pids(): number[] }
      > = {
        plain: { call: { port: plain.port, path: '/fn/echo' }, pids: () => plain.pids },
        bare: { call: { port: bare.port, path: '/fn/echo' }, pids: () => bare.pids },
        host: {
          call: { port: host.port, path: '/fn/echo', secret: SECRET },
          pids: () => host.pool.stats().pids,
        },
      };
      for (const target of Object.values(targets))
        await client.drive({ ...target.call, ...WARMUP });
      const figures: Figure[] = [];
      const results: Record<string, Record<string, Measured>> = {};
      for (const concurrency of levels) {
        const at: Record<string, Measured> = {};
        for (const [name, target] of Object.entries(targets)) {
          at[name] = await measure(
            client,
            { ...target.call, concurrency, calls: CALLS, maxMs },
            target.pids(),
          );
        }
        results[`c${concurrency}`] = at;
        const {
          host: onHost,
          plain: onPlain,
          bare: onBare,
        } = at as Record<'host' | 'plain' | 'bare', Measured>;
        const failures = Object.entries(onHost.failed).map(
          ([status, count]) => `${count}× ${status}`,
        );
        const cpu = onHost.cpuUsPerCall;
        figures.push(
          {
            name: `host, ${concurrency} concurrent`,
            value: onHost.perSecond,
            unit: '/s',
            baseline: { name: 'bare fork+IPC prototype', value: onBare.perSecond },
            target:
              concurrency === TARGET.concurrency
                ? baselineTimes('>=', onBare.perSecond, TARGET.ofBare)
                : undefined,
            note:
              `plain node:http ${onPlain.perSecond.toFixed(0)}/s; ` +
              `latency p50 ${onHost.latency.p50.toFixed(2)} / p99 ${onHost.latency.p99.toFixed(2)} ms; CPU µs/call: host ` +
              `${cpu.server.toFixed(0)}, workers ${cpu.workers.toFixed(0)}, client ${cpu.client.toFixed(0)} ` +
              `(plain: server ${onPlain.cpuUsPerCall.server.toFixed(0)}, client ${onPlain.cpuUsPerCall.client.toFixed(0)}; ` +
              `bare: gateway ${onBare.cpuUsPerCall.server.toFixed(0)}, child ${onBare.cpuUsPerCall.workers.toFixed(0)})` +
              (failures.length > 0 ? `; failed: ${failures.join(', ')}` : ''),
          },
          {
            name: `bare fork+IPC prototype, ${concurrency} concurrent`,
            value: onBare.perSecond,
            unit: '/s',
            baseline: { name: 'plain node:http', value: onPlain.perSecond },
          },
        );
      }
      return {
        figures,
        details: {
          pool: POOL_LIMITS,
          calls: CALLS,
          maxMs,
          results,
          stats: host.pool.stats(),
        },
      };
    } finally {
      await client.stop();
      await Promise.all([host.close(), plain.close(), bare.close()]);
    }
  },
};

/**
 * One load run, with CPU per call: of this process (the host's gateway, or the plain server), of
 * the given child processes (workers), and of the client.
 */
async function measure(
  client: LoadClient,
  command: LoadCommand,
  pids: number[],
): Promise<Measured> {
  const cpu = process.cpuUsage();
  const childrenBefore = await cpuOf(pids);
  const result = await client.drive(command);
  const used = process.cpuUsage(cpu);
  const childrenMs = (await cpuOf(pids)) - childrenBefore;
  const perCall = (ms: number): number =>
    result.completed > 0 ? (ms * 1000) / result.completed : Number.NaN;
  return {
    ...result,
    perSecond: result.elapsedMs > 0 ? (result.completed * 1000) / result.elapsedMs : Number.NaN,
    cpuUsPerCall: {
      client: perCall(result.cpuMs),
      server: perCall((used.user + used.system) / 1000),
      workers: perCall(childrenMs),
    },
  };
}

async function cpuOf(pids: number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) total += (await procCpuMs(pid)) ?? Number.NaN;
  return total;
}
