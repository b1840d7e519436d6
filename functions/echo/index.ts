import * as z from 'zod';
import { defineFunction } from '../../src/runtime/contract.js';

/** Proves the serverless path end to end: bundle, deploy, signed invoke, logs, metrics. */
export default defineFunction({
  name: 'echo',
  description: 'Returns its message; optionally waits, fails or crashes, for tests and benchmarks.',
  input: z.object({
    message: z.string().max(65_536),
    delayMs: z.number().int().min(0).max(600_000).optional(),
    fail: z.enum(['error', 'crash', 'retryable']).optional(),
    env: z.string().optional(),
  }),
  output: z.object({
    message: z.string(),
    pid: z.number(),
    invocations: z.number(),
    envValue: z.string().nullable(),
  }),
  limits: {
    timeoutMs: 10_000,
    memoryMb: 128,
    concurrency: 8,
    minWorkers: 0,
    maxWorkers: 2,
    idleMs: 60_000,
  },
  secrets: ['ECHO_SECRET'],
  async handle(input, ctx) {
    invocations += 1;
    if (input.delayMs) await sleep(input.delayMs, ctx.signal);
    if (input.fail === 'crash') process.exit(3);
    if (input.fail === 'error') throw new Error(`echo was asked to fail: ${input.message}`);
    if (input.fail === 'retryable') {
      throw Object.assign(new Error('echo was asked for a retryable failure'), {
        code: 'ECHO_RETRYABLE',
        retryable: true,
      });
    }
    ctx.log.info('echo', { length: input.message.length });
    return {
      message: input.message,
      pid: process.pid,
      invocations,
      envValue: input.env === undefined ? null : (process.env[input.env] ?? null),
    };
  },
});

// Module state survives across invocations of one warm worker, as on Lambda or Modal.
let invocations = 0;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
