import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLogging } from '../../src/logging/index.js';
import { MODEL_KEY_SECRET, type ManifestFunction } from '../../src/runtime/bundle/index.js';
import { FunctionPool, hostLogger, type HostLogger } from '../../src/runtime/host/index.js';
import {
  benchConfig,
  exited,
  STAMP,
  withTimeout,
  WORKER_EXEC_ARGV,
  type BenchContext,
  type Benchmark,
} from './harness.js';
import type { Figure } from './report.js';
import { summarize, type Summary } from './stats.js';

const SAMPLES = 10;
const SAMPLE_MAX_MS = 15_000;
/** Inputs the known functions accept; any other function gets `{}`, and a 400 is still its first reply. */
const INPUTS: Record<string, unknown> = { echo: { message: 'hello' } };

/** A function that declares a model API key calls the model (the same rule as the bundle budget). */
const isModelCalling = (fn: ManifestFunction): boolean =>
  fn.secrets.some((secret) => MODEL_KEY_SECRET.test(secret));

/**
 * Cold start per function: a call arrives at a fresh pool (minWorkers 0), which forks a worker for
 * it; timed from pool.invoke to its reply. Baselines: `node -e 0` fork to exit, and a fork of an ESM
 * file that only sends one IPC message, to that message.
 */
export const coldStart: Benchmark = {
  name: 'cold-start',
  description: 'no warm worker → first reply, per function',
  async run(ctx) {
    const dist = await ctx.dist();
    const dir = ctx.dir('cold-start');
    const config = benchConfig(path.join(dir, 'logs'));
    const logging = createLogging(config, { service: 'host', release: STAMP.release });
    const startMs: number[] = [];
    const logger = capturingStartMs(hostLogger(logging, { level: config.logging.level }), startMs);
    const emptyEsm = path.join(dir, 'first-message.mjs');
    writeFileSync(emptyEsm, "process.send('ready');\n");
    const nodeExit: number[] = [];
    const firstMessage: number[] = [];
    const perFunction = new Map<
      string,
      { total: number[]; workerStart: number[]; statuses: number[] }
    >();
    try {
      for (let sample = 0; sample < SAMPLES; sample += 1) {
        nodeExit.push(await timeNodeExit(ctx));
        firstMessage.push(await timeFirstMessage(ctx, emptyEsm));
        for (const fn of dist.manifest.functions) {
          const into = perFunction.get(fn.name) ?? { total: [], workerStart: [], statuses: [] };
          perFunction.set(fn.name, into);
          const pool = new FunctionPool(dist.spec(fn.name, { minWorkers: 0 }), {
            stamp: STAMP,
            logger,
          });
          const seen = startMs.length;
          const started = performance.now();
          const result = await withTimeout(
            pool.invoke(INPUTS[fn.name] ?? {}),
            SAMPLE_MAX_MS,
            `cold call of ${fn.name}`,
          );
          into.total.push(performance.now() - started);
          if (!result.coldStart)
            throw new Error(`the call of ${fn.name} on a fresh pool was not a cold start`);
          if (!result.ok && result.status !== 400)
            throw new Error(`${fn.name} failed: ${result.error.message}`);
          into.statuses.push(result.ok ? 200 : result.status);
          if (startMs.length > seen) into.workerStart.push(startMs.at(-1) as number);
          await withTimeout(pool.drain(), SAMPLE_MAX_MS, `draining ${fn.name}`);
        }
      }
    } finally {
      await logging.close();
    }
    const nodeExitS = summarize(nodeExit);
    const firstMessageS = summarize(firstMessage);
    const figures: Figure[] = [
      { name: 'baseline: `node -e 0` fork → exit p50', value: nodeExitS.p50, unit: 'ms' },
      {
        name: 'baseline: fork ESM → first IPC message p50',
        value: firstMessageS.p50,
        unit: 'ms',
        note: 'a one-line ESM file that sends one message, with the worker flags (--max-old-space-size, --enable-source-maps)',
      },
    ];
    const details: Record<string, unknown> = {
      samples: SAMPLES,
      nodeExit: nodeExitS,
      firstMessage: firstMessageS,
      functions: {},
    };
    for (const fn of dist.manifest.functions) {
      const measured = perFunction.get(fn.name);
      if (!measured) continue;
      const total = summarize(measured.total);
      const workerStart = summarize(measured.workerStart);
      const model = isModelCalling(fn);
      const target = { op: '<=' as const, value: model ? 150 : 100 };
      const kind = model ? 'model-calling' : 'tools-class';
      const baseline = { name: 'fork ESM → first message', value: firstMessageS.p50 };
      figures.push(
        {
          name: `${fn.name} cold start p50 (${kind}, ${(fn.bytes / 1024).toFixed(0)} KB)`,
          value: total.p50,
          unit: 'ms',
          baseline,
          target,
          note: `fork → ready p50 ${workerStart.p50.toFixed(1)} ms (from the pool's "worker started" log), replies ${[...new Set(measured.statuses)].join('/')}`,
        },
        {
          name: `${fn.name} cold start p90`,
          value: total.p90,
          unit: 'ms',
          baseline: { ...baseline, value: firstMessageS.p90 },
          target,
        },
      );
      (details.functions as Record<string, { total: Summary; workerStart: Summary }>)[fn.name] = {
        total,
        workerStart,
      };
    }
    return { figures, details };
  },
};

/** A logger that notes each worker's fork → ready time, which the pool logs when a worker starts. */
function capturingStartMs(inner: HostLogger, into: number[]): HostLogger {
  const { system } = inner;
  return {
    ...inner,
    system: {
      ...system,
      info(msg, meta) {
        const startMs = meta?.startMs;
        if (typeof startMs === 'number' && msg.startsWith('worker of ')) into.push(startMs);
        system.info(msg, meta);
      },
    },
  };
}

async function timeNodeExit(ctx: BenchContext): Promise<number> {
  const started = performance.now();
  const child = ctx.spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: {} });
  await withTimeout(exited(child), SAMPLE_MAX_MS, '`node -e 0` did not exit');
  return performance.now() - started;
}

async function timeFirstMessage(ctx: BenchContext, file: string): Promise<number> {
  const started = performance.now();
  const child = ctx.fork(file, [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {},
    execArgv: WORKER_EXEC_ARGV(128),
  });
  await withTimeout(
    new Promise((resolve) => child.once('message', resolve)),
    SAMPLE_MAX_MS,
    'the ESM child sent nothing',
  );
  const elapsed = performance.now() - started;
  child.kill();
  await exited(child);
  return elapsed;
}
