import { existsSync } from 'node:fs';
import path from 'node:path';
import { atMost, type Figure } from './figures.js';
import type { Benchmark } from './harness.js';
import { sharedStack, SIMPLE_FILE, SIMPLE_TASK, type Stack } from './stack.js';
import { summarize, type Summary } from './stats.js';

/** DESIGN.md's original success metric: a simple query end to end in under 2 s. */
const TARGET_MS = 2_000;
const LATENCIES = [200, 0] as const;
const RUN_MAX_MS = 60_000;

interface Sample {
  latencyMs: number;
  ms: number;
  modelMs: number;
  modelCalls: number;
}

/**
 * The one-file task (plan, write hello.py and run it, finish) end to end through the run API:
 * `POST /threads/{id}/runs/wait` on a fresh thread, timed to its reply, against the real host and
 * orchestrator processes, the real step functions and sandbox, and a mock model that answers each
 * call after 200 ms, then after 0 ms (the product's own cost). Latencies alternate run by run, so
 * a noisy neighbour slows both alike. The first run after the deploy (workers still cold) is
 * reported apart. Baseline: the model's own time in the same runs, as the model proxy saw it.
 */
export const simpleQuery: Benchmark = {
  name: 'simple-query',
  description: 'one-file task through the run API, model 200 ms / 0 ms per call',
  async run(ctx) {
    const stack = await sharedStack(ctx);
    const runs = ctx.quick ? 4 : 12;
    const warmup = ctx.quick ? 1 : 2;
    let first: Sample | undefined;
    const samples: Sample[] = [];
    for (let i = 0; i < warmup + runs; i += 1) {
      for (const latencyMs of LATENCIES) {
        const sample = await runTask(stack, latencyMs, `bench-${latencyMs}-${i}`);
        if (i === 0 && latencyMs === LATENCIES[0]) first = sample;
        if (i >= warmup) samples.push(sample);
      }
    }
    const figures: Figure[] = [];
    const details: Record<string, unknown> = { runs, warmup, first, samples };
    for (const latencyMs of LATENCIES) {
      const mine = samples.filter((sample) => sample.latencyMs === latencyMs);
      const total = summarize(mine.map((sample) => sample.ms));
      const model = summarize(mine.map((sample) => sample.modelMs));
      const own = summarize(mine.map((sample) => sample.ms - sample.modelMs));
      const calls = [...new Set(mine.map((sample) => sample.modelCalls))].join('/');
      const label = `one-file task via run API, model ${latencyMs} ms/call`;
      const baseline = { name: `model's own time, ${calls} calls`, value: model.p50 };
      const target = latencyMs > 0 ? atMost(TARGET_MS) : undefined;
      figures.push(
        {
          name: `${label}, p50`,
          value: total.p50,
          unit: 'ms',
          baseline,
          target,
          note: `${mine.length} runs after ${warmup} warm-up round(s); product's own time (run − model) p50 ${own.p50.toFixed(0)} ms`,
        },
        {
          name: `${label}, p95`,
          value: total.p95,
          unit: 'ms',
          baseline: { ...baseline, value: model.p95 },
          target,
        },
        {
          name: `${label}, product's own time p50 (run − model)`,
          value: own.p50,
          unit: 'ms',
        },
      );
      details[`latency${latencyMs}`] = { total, model, own } satisfies Record<string, Summary>;
    }
    if (first)
      figures.push({
        name: `first run after the deploy (cold workers), model ${first.latencyMs} ms/call`,
        value: first.ms,
        unit: 'ms',
        baseline: { name: "model's own time", value: first.modelMs },
        note: 'every step function starts a worker on its first call',
      });
    return { figures, details };
  },
};

/** One run of the task on a fresh thread; throws unless it succeeded and left the file behind. */
async function runTask(stack: Stack, latencyMs: number, threadId: string): Promise<Sample> {
  await stack.resetModel();
  stack.model.latencyMs = latencyMs;
  stack.model.resetCounts();
  const headers = { 'content-type': 'application/json', 'x-api-key': stack.apiKey };
  const started = performance.now();
  const reply = await fetch(`${stack.apiUrl}/threads/${threadId}/runs/wait`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      assistant_id: 'atolye',
      input: { task: SIMPLE_TASK },
      if_not_exists: 'create',
    }),
    signal: AbortSignal.timeout(RUN_MAX_MS),
  });
  await reply.arrayBuffer();
  const ms = performance.now() - started;
  const sample = { latencyMs, ms, modelMs: stack.model.modelMs, modelCalls: stack.model.calls };
  if (!reply.ok) throw new Error(`runs/wait answered ${reply.status}`);
  const location = reply.headers.get('content-location');
  const run = location
    ? ((await (await fetch(`${stack.apiUrl}${location}`, { headers })).json()) as {
        status?: string;
        error?: unknown;
      })
    : undefined;
  if (run?.status !== 'success')
    throw new Error(`run on ${threadId} ended ${run?.status}: ${JSON.stringify(run?.error)}`);
  if (!existsSync(path.join(stack.workspaceRoot, threadId, SIMPLE_FILE)))
    throw new Error(`the run on ${threadId} succeeded without writing ${SIMPLE_FILE}`);
  return sample;
}
