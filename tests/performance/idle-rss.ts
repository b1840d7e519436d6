import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { FunctionPool, silentLogger } from '../../src/runtime/host/index.js';
import {
  benchConfig,
  procRss,
  stepKind,
  withTimeout,
  WORKER_EXEC_ARGV,
  workerDeps,
  type BenchContext,
  type Benchmark,
} from './harness.js';
import { atMost, type Figure } from './figures.js';
import { summarize } from './stats.js';
import { sleep } from '../helpers/eventually.js';
import { exitOf } from '../helpers/processes.js';

const WARM_CALLS = 200;
/** DESIGN.md: a model step's idle worker ≤ 70 MB. */
const MODEL_STEP_MAX_MB = 70;
const SETTLE_MS = 1_000;
const READINGS = 5;
const READING_GAP_MS = 200;
const MB = 2 ** 20;
const INPUTS: Record<string, unknown> = { echo: { message: 'hello' } };

/**
 * Resident memory of a warm, idle worker of each function (after some calls, then a pause), read
 * from the worker's pong and from /proc; baseline: an idle `node` child holding an IPC channel.
 */
export const idleRss: Benchmark = {
  name: 'idle-rss',
  description: 'RSS of a warm idle worker vs an idle node child with IPC',
  async run(ctx) {
    const dist = await ctx.dist();
    const baseline = await idleChildRss(ctx);
    const figures: Figure[] = [
      {
        name: 'baseline: idle node child with IPC (VmRSS)',
        value: baseline / MB,
        unit: 'MB',
        note: 'same flags as a worker',
      },
    ];
    const details: Record<string, unknown> = { baselineBytes: baseline, functions: {} };
    const dir = ctx.dir('idle-rss');
    const config = benchConfig(path.join(dir, 'logs'));
    for (const fn of dist.manifest.functions) {
      const spec = dist.spec(fn.name, { minWorkers: 1, idleMs: 600_000 });
      const pool = new FunctionPool(spec, {
        ...workerDeps(spec, config, path.join(dir, 'compile-cache')),
        logger: silentLogger,
      });
      try {
        await withTimeout(pool.start(), 15_000, `starting ${fn.name}`);
        const calls = ctx.quick ? WARM_CALLS / 4 : WARM_CALLS;
        for (let i = 0; i < calls; i += 1) await pool.invoke(INPUTS[fn.name] ?? {});
        await sleep(SETTLE_MS);
        const pong: number[] = [];
        const proc: number[] = [];
        for (let i = 0; i < READINGS; i += 1) {
          const check = await pool.healthCheck(5_000);
          if (!check.ok) throw new Error(`ping of ${fn.name} failed: ${check.reason}`);
          pong.push(check.rssBytes);
          const vm = await procRss(check.worker);
          if (vm !== undefined) proc.push(vm);
          await sleep(READING_GAP_MS);
        }
        const pongMb = summarize(pong).p50 / MB;
        const procMb = proc.length > 0 ? summarize(proc).p50 / MB : Number.NaN;
        figures.push({
          name: `${fn.name} idle worker RSS (VmRSS)`,
          value: Number.isFinite(procMb) ? procMb : pongMb,
          unit: 'MB',
          baseline: { name: 'idle node child', value: baseline / MB },
          target: stepKind(fn.name) === 'model step' ? atMost(MODEL_STEP_MAX_MB) : undefined,
          note: `pong rssBytes ${pongMb.toFixed(1)} MB; ${calls} calls, then ${SETTLE_MS} ms idle; memoryMb ${fn.limits.memoryMb}`,
        });
        (details.functions as Record<string, unknown>)[fn.name] = { pong, proc };
      } finally {
        await withTimeout(pool.drain(), 15_000, `draining ${fn.name}`);
      }
    }
    return { figures, details };
  },
};

async function idleChildRss(ctx: BenchContext): Promise<number> {
  const file = path.join(ctx.dir('idle-rss'), 'idle-child.mjs');
  // The listener keeps the channel, and so the process, alive.
  writeFileSync(file, "process.on('message', () => {});\nprocess.send('ready');\n");
  const child = ctx.fork(file, [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {},
    execArgv: WORKER_EXEC_ARGV(128),
  });
  try {
    await withTimeout(
      new Promise((resolve) => child.once('message', resolve)),
      10_000,
      'the idle child did not start',
    );
    await sleep(SETTLE_MS);
    const readings: number[] = [];
    for (let i = 0; i < READINGS; i += 1) {
      const rss = await procRss(child.pid ?? -1);
      if (rss !== undefined) readings.push(rss);
      await sleep(READING_GAP_MS);
    }
    return readings.length > 0 ? summarize(readings).p50 : Number.NaN;
  } finally {
    child.kill();
    await exitOf(child);
  }
}
